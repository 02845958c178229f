"""Decode and validate instrument definition files.

Decoding (msgspec, unknown fields forbidden) catches wrong types and typos;
:func:`check_instrument` then checks what a schema cannot: unique ids,
conditions that only look back at earlier items and at options that exist,
indicator codes declared in the file's vocabulary, every item mapped to at
least one indicator with a rationale (unless declared administrative), and
banding, flag and referral rules that the engine can interpret. Every problem
is reported with its path, not just the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import msgspec

from screening.errors import DefinitionProblem, InstrumentDefinitionError
from screening.model import (
    BAND_ORDER,
    FLAG_ORDER,
    BandingRule,
    Condition,
    EvidenceRule,
    Instrument,
    Item,
)

__all__ = ["check_instrument", "parse_instrument"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_MSGSPEC_PATH = re.compile(r"^(?P<reason>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})


def parse_instrument(data: bytes | str, *, source: str = "<string>") -> Instrument:
    """Decode a TOML instrument definition and validate it.

    Args:
        data: The TOML document.
        source: Where it came from (a file name), used in error messages.

    Returns:
        The validated instrument.

    Raises:
        InstrumentDefinitionError: The document is not valid TOML, does not fit
            the definition schema, or breaks one of the cross-field rules.
    """
    try:
        instrument = msgspec.toml.decode(data, type=Instrument)
    except msgspec.ValidationError as exc:
        match = _MSGSPEC_PATH.match(str(exc))
        assert match is not None  # the pattern matches any string
        path = (match["path"] or "").lstrip(".") or "$"
        raise InstrumentDefinitionError(
            source, [DefinitionProblem(path=path, reason=match["reason"])]
        ) from exc
    except msgspec.DecodeError as exc:
        raise InstrumentDefinitionError(
            source, [DefinitionProblem(path="$", reason=f"not valid TOML: {exc}")]
        ) from exc
    check_instrument(instrument, source=source)
    return instrument


def check_instrument(instrument: Instrument, *, source: str = "<instrument>") -> None:
    """Check the cross-field rules of a decoded definition.

    Args:
        instrument: A decoded (not yet validated) instrument.
        source: Where it came from, used in error messages.

    Raises:
        InstrumentDefinitionError: Listing every problem found, each with its path.
    """
    problems = [DefinitionProblem(path=p, reason=r) for p, r in _problems(instrument)]
    if problems:
        raise InstrumentDefinitionError(source, problems)


def _problems(ins: Instrument) -> Iterator[tuple[str, str]]:
    if not _ID.match(ins.key):
        yield "key", f"{ins.key!r} is not a snake_case identifier"
    if ins.version < 1:
        yield "version", "must be 1 or more"
    yield from _blank("title", ins.title)
    yield from _blank("description", ins.description)
    for name in ("yes", "no", "prefer_not_to_say", "dont_know"):
        yield from _blank(f"answer_labels.{name}", getattr(ins.answer_labels, name))
    yield from _check_vocabulary(ins)
    yield from _check_sections_and_items(ins)
    yield from _check_banding(ins)
    yield from _check_flags_and_referrals(ins)
    yield from _check_derived_and_notes(ins)
    yield from _check_keying(ins)


def _blank(path: str, text: str | None) -> Iterator[tuple[str, str]]:
    if text is not None and not text.strip():
        yield path, "must not be blank"


def _duplicates(path: str, values: list[str], what: str) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if not _ID.match(value):
            yield f"{path}[{i}]", f"{what} {value!r} is not a snake_case identifier"
        if value in seen:
            yield f"{path}[{i}]", f"duplicate {what} {value!r}"
        seen.add(value)


def _check_vocabulary(ins: Instrument) -> Iterator[tuple[str, str]]:
    if not ins.indicators:
        yield "indicators", "the indicator vocabulary must declare at least one code"
    yield from _duplicates("indicators", [i.code for i in ins.indicators], "indicator code")
    for i, ind in enumerate(ins.indicators):
        yield from _blank(f"indicators[{i}].label", ind.label)


def _codes(path: str, codes: tuple[str, ...], ins: Instrument) -> Iterator[tuple[str, str]]:
    if not codes:
        yield path, "must list at least one indicator code"
    known = ins.indicators_by_code
    for j, code in enumerate(codes):
        if code not in known:
            yield (
                f"{path}[{j}]",
                f"unknown indicator code {code!r} (not declared in [[indicators]])",
            )


def _check_sections_and_items(ins: Instrument) -> Iterator[tuple[str, str]]:
    if not ins.sections:
        yield "sections", "at least one section is required"
    if not ins.items:
        yield "items", "at least one item is required"
    yield from _duplicates("sections", [s.id for s in ins.sections], "section id")
    for i, section in enumerate(ins.sections):
        yield from _blank(f"sections[{i}].title", section.title)
        yield from _blank(f"sections[{i}].help", section.help)
    yield from _duplicates("items", [item.id for item in ins.items], "item id")

    section_index = {s.id: i for i, s in enumerate(ins.sections)}
    used_sections: set[str] = set()
    last_section = -1
    earlier: dict[str, Item] = {}
    for i, item in enumerate(ins.items):
        path = f"items[{i}]"
        position = section_index.get(item.section)
        if position is None:
            yield f"{path}.section", f"unknown section {item.section!r}"
        elif position < last_section:
            yield (
                f"{path}.section",
                (
                    f"item {item.id!r} is in section {item.section!r} but comes after items of a "
                    "later section; keep items in section order"
                ),
            )
        else:
            last_section = position
            used_sections.add(item.section)
        yield from _check_item(path, item, ins)
        if item.show_if is not None:
            yield from _check_condition(f"{path}.show_if", item.show_if, earlier)
        earlier.setdefault(item.id, item)
    for i, section in enumerate(ins.sections):
        if section.id not in used_sections and section.id in section_index:
            yield f"sections[{i}]", f"section {section.id!r} has no items"


def _check_item(path: str, item: Item, ins: Instrument) -> Iterator[tuple[str, str]]:
    yield from _blank(f"{path}.text", item.text)
    yield from _blank(f"{path}.help", item.help)
    yield from _blank(f"{path}.unit", item.unit)
    choice = item.type in _CHOICE_TYPES
    if choice:
        if len(item.options) < 2:
            yield f"{path}.options", "a choice item needs at least two options"
        yield from _duplicates(f"{path}.options", [o.value for o in item.options], "option value")
        for j, option in enumerate(item.options):
            yield from _blank(f"{path}.options[{j}].text", option.text)
    elif item.options:
        yield f"{path}.options", f"options are only allowed on choice items, not {item.type}"
    if item.type == "number":
        if item.min is None or item.max is None:
            yield path, "a number item needs both min and max"
        elif item.min > item.max:
            yield f"{path}.min", "min is greater than max"
    else:
        for name in ("min", "max", "unit"):
            if getattr(item, name) is not None:
                yield f"{path}.{name}", f"{name} is only allowed on number items"
        if item.integer:
            yield f"{path}.integer", "integer is only allowed on number items"
    if item.type == "free_text":
        if item.max_length is None or item.max_length < 1:
            yield f"{path}.max_length", "a free_text item needs a max_length of 1 or more"
    elif item.max_length is not None:
        yield f"{path}.max_length", "max_length is only allowed on free_text items"
    if item.allow_partial and item.type != "date":
        yield f"{path}.allow_partial", "allow_partial is only allowed on date items"
    if item.protected and item.feeds is not None:
        yield (
            f"{path}.protected",
            "a protected answer never leaves the coordinator's view, so it cannot feed "
            f"{item.feeds}s",
        )

    if item.administrative:
        if item.evidence:
            yield f"{path}.evidence", "an administrative item must not map to indicators"
        if not (item.rationale and item.rationale.strip()):
            yield f"{path}.rationale", "an administrative item needs a rationale saying why"
    else:
        if item.rationale is not None:
            yield (
                f"{path}.rationale",
                (
                    "an item-level rationale is only for administrative items; "
                    "put the rationale beside each evidence mapping"
                ),
            )
        if not item.evidence:
            yield (
                f"{path}.evidence",
                (
                    f"item {item.id!r} maps to no indicator code; map it, or declare it "
                    "administrative = true with a rationale"
                ),
            )
    for j, rule in enumerate(item.evidence):
        yield from _check_evidence(f"{path}.evidence[{j}]", rule, item, ins)


def _check_evidence(
    path: str, rule: EvidenceRule, item: Item, ins: Instrument
) -> Iterator[tuple[str, str]]:
    yield from _codes(f"{path}.indicators", rule.indicators, ins)
    if not rule.rationale.strip():
        yield f"{path}.rationale", "must not be blank"
    selectors = [
        name
        for name in ("when", "below", "at_least", "age_below")
        if getattr(rule, name) is not None
    ]
    if len(selectors) != 1:
        yield path, "use exactly one of when, below, at_least or age_below"
        return
    selector = selectors[0]
    allowed = {
        "yes_no": "when",
        "single_choice": "when",
        "multiple_choice": "when",
        "number": "below/at_least",
        "date": "age_below",
        "free_text": "(none: free text is never scored)",
    }[item.type]
    if selector not in allowed.split("/"):
        yield f"{path}.{selector}", f"not usable on a {item.type} item; use {allowed}"
        return
    if selector == "when":
        yield from _check_value(f"{path}.when", item, rule.when)


def _check_value(path: str, item: Item, value: str | None) -> Iterator[tuple[str, str]]:
    values = ("yes", "no") if item.type == "yes_no" else tuple(o.value for o in item.options)
    if value not in values:
        yield path, f"{value!r} is not an answer of item {item.id!r} (expected one of {values})"


def _check_condition(
    path: str, cond: Condition, earlier: dict[str, Item]
) -> Iterator[tuple[str, str]]:
    forms = [
        name
        for name, present in (
            ("item", cond.item is not None),
            ("any_of", bool(cond.any_of)),
            ("all_of", bool(cond.all_of)),
        )
        if present
    ]
    if len(forms) != 1:
        yield path, "a condition is exactly one of {item = ...}, {any_of = [...]}, {all_of = [...]}"
        return
    if cond.item is None:
        for j, sub in enumerate(cond.any_of):
            yield from _check_condition(f"{path}.any_of[{j}]", sub, earlier)
        for j, sub in enumerate(cond.all_of):
            yield from _check_condition(f"{path}.all_of[{j}]", sub, earlier)
        return
    if sum(x is not None for x in (cond.equals, cond.answered, cond.below, cond.age_below)) != 1:
        yield path, "an item condition needs exactly one of equals, answered, below or age_below"
    target = earlier.get(cond.item)
    if target is None:
        yield f"{path}.item", f"{cond.item!r} is not an earlier item"
        return
    if cond.below is not None and target.type != "number":
        yield f"{path}.below", f"below is not usable on {target.type} item {target.id!r}"
    if cond.age_below is not None:
        if target.type != "date":
            yield (
                f"{path}.age_below",
                f"age_below is not usable on {target.type} item {target.id!r}",
            )
        if cond.age_below < 1:
            yield f"{path}.age_below", "must be 1 or more"
    if cond.equals is not None:
        if target.type not in _CHOICE_TYPES and target.type != "yes_no":
            yield f"{path}.equals", f"equals is not usable on {target.type} item {target.id!r}"
        else:
            yield from _check_value(f"{path}.equals", target, cond.equals)


def _check_banding(ins: Instrument) -> Iterator[tuple[str, str]]:
    rules = ins.banding
    if not rules:
        yield "banding", "banding rules are required"
        return
    yield from _duplicates("banding", [r.id for r in rules], "rule id")
    rank = -1
    for i, rule in enumerate(rules):
        path = f"banding[{i}]"
        yield from _blank(f"{path}.reason", rule.reason)
        this_rank = BAND_ORDER.index(rule.band)
        if this_rank < rank:
            yield f"{path}.band", "rules must be ordered by band, strongest first"
        rank = max(rank, this_rank)
        yield from _check_rule_criteria(path, rule)
        if rule.indicators_all:
            yield from _codes(f"{path}.indicators_all", rule.indicators_all, ins)
    for band in BAND_ORDER:
        if not any(r.band == band for r in rules):
            yield "banding", f"no rule for band {band!r}"
    last = rules[-1]
    if last.band != "insufficient_information" or _has_criteria(last):
        yield (
            f"banding[{len(rules) - 1}]",
            (
                "the last rule must be an unconditional insufficient_information rule, "
                "so that every set of answers gets a band"
            ),
        )


def _has_criteria(rule: BandingRule) -> bool:
    return (
        rule.palermo_elements_met is not None
        or bool(rule.thresholds)
        or bool(rule.indicators_all)
        or rule.max_answered is not None
    )


def _check_rule_criteria(path: str, rule: BandingRule) -> Iterator[tuple[str, str]]:
    for j, threshold in enumerate(rule.thresholds):
        if not threshold.groups:
            yield f"{path}.thresholds[{j}].groups", "must list at least one group"
        if threshold.at_least < 1:
            yield f"{path}.thresholds[{j}].at_least", "must be 1 or more"
    if rule.band == "insufficient_information":
        return
    # Indicator bands may only use criteria that grow with evidence, so that
    # one more indicator can never lower the band.
    if not _has_criteria(rule):
        yield path, f"a {rule.band} rule needs at least one criterion"
    if rule.palermo_elements_met is False:
        yield f"{path}.palermo_elements_met", f"a {rule.band} rule may only require true"
    if rule.max_answered is not None:
        yield f"{path}.max_answered", "only allowed on insufficient_information rules"


def _check_flags_and_referrals(ins: Instrument) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for i, flag in enumerate(ins.flags):
        path = f"flags[{i}]"
        if flag.flag in seen:
            yield f"{path}.flag", f"duplicate flag {flag.flag!r}"
        seen.add(flag.flag)
        yield from _codes(f"{path}.indicators_any", flag.indicators_any, ins)
        yield from _blank(f"{path}.note", flag.note)
        yield from _blank(f"{path}.possible_note", flag.possible_note)
        if flag.strong_if_any:
            yield from _codes(f"{path}.strong_if_any", flag.strong_if_any, ins)
            if flag.possible_note is None:
                yield f"{path}.possible_note", "a graded flag (strong_if_any) needs a possible_note"
        elif flag.possible_note is not None:
            yield f"{path}.possible_note", "only allowed together with strong_if_any"
    for code in FLAG_ORDER:
        if code not in seen:
            yield "flags", f"no rule raises the {code!r} flag"
    yield from _duplicates("referrals", [r.id for r in ins.referrals], "rule id")
    for i, ref in enumerate(ins.referrals):
        path = f"referrals[{i}]"
        yield from _blank(f"{path}.reason", ref.reason)
        if not (ref.indicators_any or ref.flags_any or ref.bands_any):
            yield path, "needs at least one of indicators_any, flags_any or bands_any"
        if ref.indicators_any:
            yield from _codes(f"{path}.indicators_any", ref.indicators_any, ins)


def _check_derived_and_notes(ins: Instrument) -> Iterator[tuple[str, str]]:
    known = ins.indicators_by_code
    for i, rule in enumerate(ins.derived):
        path = f"derived[{i}]"
        if rule.code not in known:
            yield (
                f"{path}.code",
                f"unknown indicator code {rule.code!r} (not declared in [[indicators]])",
            )
        if not rule.all_of:
            yield f"{path}.all_of", "must list at least one list of codes"
        for j, codes in enumerate(rule.all_of):
            yield from _codes(f"{path}.all_of[{j}]", codes, ins)
            if rule.code in codes:
                yield f"{path}.all_of[{j}]", f"{rule.code!r} cannot be derived from itself"
        yield from _blank(f"{path}.rationale", rule.rationale)
    yield from _duplicates("notes", [n.id for n in ins.notes], "rule id")
    every_item = dict(ins.items_by_id)
    for i, note in enumerate(ins.notes):
        path = f"notes[{i}]"
        yield from _blank(f"{path}.text", note.text)
        if not (note.indicators_any or note.answers is not None or note.uniform_keyed_answers):
            yield path, "needs at least one of indicators_any, answers or uniform_keyed_answers"
        if note.indicators_any:
            yield from _codes(f"{path}.indicators_any", note.indicators_any, ins)
        if note.unless_indicators_any:
            yield from _codes(f"{path}.unless_indicators_any", note.unless_indicators_any, ins)
        if note.answers is not None:
            yield from _check_condition(f"{path}.answers", note.answers, every_item)
        if note.uniform_keyed_answers is not None and note.uniform_keyed_answers < 1:
            yield f"{path}.uniform_keyed_answers", "must be 1 or more"


def _check_keying(ins: Instrument) -> Iterator[tuple[str, str]]:
    """Reverse keying is declared for every yes/no item whose "no" is the indicator, or for none.

    An instrument that declares none (v1 predates the field) is left alone;
    once one is declared, the app relies on the marks, so all must be right.
    """
    marking = any(item.reverse_keyed for item in ins.items)
    for i, item in enumerate(ins.items):
        whens = {rule.when for rule in item.evidence}
        if item.reverse_keyed and (item.type != "yes_no" or whens != {"no"}):
            yield (
                f"items[{i}].reverse_keyed",
                "only for a yes_no item whose evidence is all on the answer no",
            )
        if marking and item.type == "yes_no" and whens == {"no"} and not item.reverse_keyed:
            yield (
                f"items[{i}].reverse_keyed",
                f"the answer no to {item.id!r} is the indicator: mark it reverse_keyed = true",
            )
