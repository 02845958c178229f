"""The assessment engine: answers + instrument version -> triage assessment.

:func:`assess` is pure and deterministic: no clock, no randomness, no I/O.
The same instrument version, answers and ``as_of`` date always give the same
:class:`Assessment`, whatever the order of the answers mapping. The rules it
applies (banding, flags, referrals) are data in the definition file; the
engine only interprets them. See ``screening/BANDING.md``.

An assessment is triage, not a verdict: it never says that someone is not a
victim. Skipped answers ("prefer not to say", "don't know", "not asked") are
never read as "no" and never count as evidence either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

import msgspec

from screening._dates import age_on, date_bounds
from screening.answers import (
    Answer,
    Answers,
    condition_holds,
    effective_answers,
    is_shown,
    validate_answers,
)
from screening.errors import MissingReferenceDateError
from screening.model import (
    BAND_ORDER,
    FLAG_ORDER,
    SERVICE_ORDER,
    Band,
    BandingRule,
    Condition,
    EvidenceRule,
    FlagCode,
    Group,
    Instrument,
    Item,
    NoteKind,
    Service,
    Strength,
)

__all__ = [
    "ENGINE_VERSION",
    "Assessment",
    "Evidence",
    "FlagStrength",
    "IndicatorFound",
    "LocalText",
    "Note",
    "Palermo",
    "PalermoElement",
    "RaisedFlag",
    "Reason",
    "Referral",
    "TextStatus",
    "Unanswered",
    "assess",
]

ENGINE_VERSION = "2.1.0"
"""Version of the scoring logic; bump it whenever :func:`assess` would give a different result."""

TextStatus = Literal["source", "reviewed", "unreviewed", "fallback"]
"""``source``: English original; ``reviewed``/``unreviewed``: a translation and
whether a qualified translator reviewed it; ``fallback``: the translation was
missing, so the English source is shown."""


class LocalText(msgspec.Struct, frozen=True, kw_only=True):
    """A user-facing text and its translation status."""

    text: str
    status: TextStatus = "source"


class Evidence(msgspec.Struct, frozen=True, kw_only=True):
    """One answer that evidences an indicator.

    ``value`` is the answer (for a multiple-choice item, the option that
    matched). ``sensitive`` repeats the item's flag so readers can redact.
    """

    item_id: str
    value: str | int | float
    sensitive: bool


class IndicatorFound(msgspec.Struct, frozen=True, kw_only=True):
    """An indicator code found in the answers, with the answers behind it."""

    code: str
    group: Group
    strength: Strength | None
    label: LocalText
    evidence: tuple[Evidence, ...]


class PalermoElement(msgspec.Struct, frozen=True, kw_only=True):
    """One element of trafficking in persons (act, means or purpose)."""

    found: bool
    indicators: tuple[str, ...]
    evidence: tuple[Evidence, ...]


class Palermo(msgspec.Struct, frozen=True, kw_only=True):
    """The three Palermo Protocol elements.

    ``means_required`` is false for a child (act and purpose suffice);
    ``elements_met`` says whether all required elements were found.
    """

    act: PalermoElement
    means: PalermoElement
    purpose: PalermoElement
    means_required: bool
    elements_met: bool


class Reason(msgspec.Struct, frozen=True, kw_only=True):
    """A rule of the definition that fired, in plain words."""

    rule: str
    text: LocalText


FlagStrength = Literal["strong", "possible"]
"""How strongly the evidence behind a flag supports it (for flags whose rule says so)."""


class RaisedFlag(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A flag raised, the indicator codes that raised it, and its note.

    When the flag's rule grades it (``strong_if_any``, scam_compound v3 on),
    ``strength`` says whether the evidence is strong or the flag is only
    ``possible``, and ``evidence`` lists the answers the flag rests on; both
    are left out for rules that do not grade.
    """

    flag: FlagCode
    indicators: tuple[str, ...]
    note: LocalText
    strength: FlagStrength | None = None
    evidence: tuple[Evidence, ...] = ()


class Referral(msgspec.Struct, frozen=True, kw_only=True):
    """A recommended referral and every reason it is recommended."""

    service: Service
    reasons: tuple[Reason, ...]


class Note(msgspec.Struct, frozen=True, kw_only=True):
    """A note for the coordinator (``kind`` ``coordinator``), or answers to clarify
    gently with the person later (``clarify``; never a credibility flag).

    ``items`` are the items the note is about, in question order.
    """

    rule: str
    kind: NoteKind
    text: LocalText
    items: tuple[str, ...] = ()


class Unanswered(msgspec.Struct, frozen=True, kw_only=True):
    """Counts of shown items without a value, by kind (absent counts as not asked).

    Items hidden by their ``show_if`` condition are not counted.
    """

    prefer_not_to_say: int
    dont_know: int
    not_asked: int


class Assessment(msgspec.Struct, frozen=True, kw_only=True):
    """The triage result of one screening. JSON-serialisable with ``msgspec.json``."""

    instrument_key: str
    instrument_version: int
    engine_version: str
    as_of: date | None
    band: Band
    band_reasons: tuple[Reason, ...]
    indicators: tuple[IndicatorFound, ...]
    palermo: Palermo
    flags: tuple[RaisedFlag, ...]
    referrals: tuple[Referral, ...]
    answered: int
    unanswered: Unanswered
    notes: tuple[Note, ...] = ()
    ignored_hidden_answers: tuple[str, ...] = ()
    """Answers to items that the other answers hide: not scored, kept as sent."""
    observer_answered: int = 0
    """Observer items the caseworker answered with a value, for instruments that
    count them apart (``observer_answers_apart``): they are then not in
    ``answered`` or ``unanswered``, which count what the person said."""

    def has_flag(self, flag: FlagCode) -> bool:
        """Whether the given flag was raised."""
        return any(f.flag == flag for f in self.flags)

    def indicator_codes(self) -> frozenset[str]:
        """The codes of all indicators found."""
        return frozenset(i.code for i in self.indicators)

    def referral_services(self) -> tuple[Service, ...]:
        """The services recommended, in display order."""
        return tuple(r.service for r in self.referrals)


def assess(instrument: Instrument, answers: Answers, *, as_of: date | None = None) -> Assessment:
    """Assess a screening's answers with the instrument version they were given to.

    Args:
        instrument: The instrument version used by the screening.
        answers: Answers keyed by item id (see :func:`screening.decode_answers`).
        as_of: The date the screening took place (pass its completion date).
            Used only to turn a date of birth into an age; there is no hidden
            clock. Required when a date of birth was answered.

    Returns:
        The assessment.

    Raises:
        AnswerValidationError: The answers do not fit the instrument. Answers
            to items the other answers hide are not errors: they are ignored
            and listed in ``ignored_hidden_answers``.
        MissingReferenceDateError: A date of birth was answered but ``as_of`` is None.
    """
    validate_answers(instrument, answers, as_of=as_of)
    counted, ignored = effective_answers(instrument, answers, as_of)
    found: dict[str, set[tuple[int, str, Any]]] = {}
    answered = observed = 0
    skipped = {"prefer_not_to_say": 0, "dont_know": 0, "not_asked": 0}
    for index, item in enumerate(instrument.items):
        answer = counted.get(item.id)
        if not is_shown(item, counted, as_of):
            continue
        apart = item.observer and instrument.observer_answers_apart
        if answer is None or not answer.has_value:
            if not apart:
                skipped["not_asked" if answer is None else str(answer.skipped)] += 1
            continue
        if apart:
            observed += 1
        else:
            answered += 1
        for rule in item.evidence:
            for value in _matches(item, rule, answer.value, as_of):
                for code in rule.indicators:
                    found.setdefault(code, set()).add((index, _sort_key(value), value))

    _derive(instrument, found)
    indicators = _indicators(instrument, found)
    codes = frozenset(found)
    flags = _flags(instrument, found)
    raised = frozenset(f.flag for f in flags)
    palermo = _palermo(instrument, found, child="child" in raised)
    band, band_reasons = _band(instrument, codes, palermo, answered)
    return Assessment(
        instrument_key=instrument.key,
        instrument_version=instrument.version,
        engine_version=ENGINE_VERSION,
        as_of=as_of,
        band=band,
        band_reasons=band_reasons,
        indicators=indicators,
        palermo=palermo,
        flags=flags,
        referrals=_referrals(instrument, codes, raised, band),
        answered=answered,
        unanswered=Unanswered(**skipped),
        notes=_notes(instrument, codes, counted, as_of),
        ignored_hidden_answers=ignored,
        observer_answered=observed,
    )


def _derive(instrument: Instrument, found: dict[str, set[tuple[int, str, Any]]]) -> None:
    """Add the codes of derived rules whose every "any of" list was found."""
    for rule in instrument.derived:
        hits = [[c for c in codes if c in found] for codes in rule.all_of]
        if all(hits):
            evidence = found.setdefault(rule.code, set())
            for code in (c for group in hits for c in group):
                evidence.update(found[code])


def _notes(
    instrument: Instrument,
    codes: frozenset[str],
    counted: dict[str, Answer],
    as_of: date | None,
) -> tuple[Note, ...]:
    notes = []
    for rule in instrument.notes:
        items: set[str] = set()
        if rule.indicators_any and not codes.intersection(rule.indicators_any):
            continue
        if codes.intersection(rule.unless_indicators_any):
            continue
        if rule.answers is not None:
            if not condition_holds(rule.answers, counted, as_of):
                continue
            items.update(_holding_items(rule.answers, counted, as_of))
        if rule.uniform_keyed_answers is not None:
            uniform = _uniform_keyed(instrument, counted, rule.uniform_keyed_answers)
            if not uniform:
                continue
            items.update(uniform)
        if rule.lists_sensitive_answers:
            items.update(
                item.id
                for item in instrument.items
                if item.sensitive and item.id in counted and counted[item.id].has_value
            )
        order = instrument.item_index
        notes.append(
            Note(
                rule=rule.id,
                kind=rule.kind,
                text=LocalText(text=rule.text),
                items=tuple(sorted(items, key=order.__getitem__)),
            )
        )
    return tuple(notes)


def _holding_items(
    condition: Condition, counted: dict[str, Answer], as_of: date | None
) -> Iterable[str]:
    """The items of the single-item parts of a condition that hold: the answers to clarify."""
    if condition.item is not None and condition_holds(condition, counted, as_of):
        yield condition.item
    for sub in (*condition.any_of, *condition.all_of):
        yield from _holding_items(sub, counted, as_of)


def _uniform_keyed(
    instrument: Instrument, counted: dict[str, Answer], at_least: int
) -> tuple[str, ...]:
    """Ids of the keyed yes/no items, if at least ``at_least`` of each keying were
    answered and every one of them got the same value; else nothing.

    The same answer to questions keyed both ways means some answers point away
    from what the person lived through: shock, distrust or coaching, not lying.
    """
    values: dict[bool, list[tuple[str, Any]]] = {True: [], False: []}
    for item in instrument.items:
        answer = counted.get(item.id)
        if item.type != "yes_no" or not item.evidence or answer is None or not answer.has_value:
            continue
        values[item.reverse_keyed].append((item.id, answer.value))
    both = values[True] + values[False]
    if min(len(values[True]), len(values[False])) < at_least or len({v for _, v in both}) != 1:
        return ()
    return tuple(item_id for item_id, _ in both)


def _sort_key(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _matches(item: Item, rule: EvidenceRule, value: Any, as_of: date | None) -> Iterable[Any]:
    """Yield the part of the answer that matches the rule (nothing if it does not)."""
    if rule.when is not None:
        if isinstance(value, list):
            return (rule.when,) if rule.when in value else ()
        return (value,) if value == rule.when else ()
    if rule.below is not None:
        return (value,) if value < rule.below else ()
    if rule.at_least is not None:
        return (value,) if value >= rule.at_least else ()
    if rule.age_below is not None:
        if as_of is None:
            raise MissingReferenceDateError(
                f"item {item.id!r} is a date of birth: pass as_of (the screening date)"
            )
        # A partial date of birth counts as under the age if any day it may mean
        # does: where age is uncertain, the person is presumed to be a child.
        _, latest_birth, _ = date_bounds(value)
        return (value,) if age_on(latest_birth, as_of) < rule.age_below else ()
    return ()


def _evidence(
    instrument: Instrument, entries: Iterable[tuple[int, str, Any]]
) -> tuple[Evidence, ...]:
    items = instrument.items
    return tuple(
        Evidence(item_id=items[index].id, value=value, sensitive=items[index].sensitive)
        for index, _, value in sorted(set(entries), key=lambda e: (e[0], e[1]))
    )


def _indicators(
    instrument: Instrument, found: dict[str, set[tuple[int, str, Any]]]
) -> tuple[IndicatorFound, ...]:
    order = instrument.indicator_index
    vocabulary = instrument.indicators_by_code
    result = []
    for code in sorted(found, key=order.__getitem__):
        ind = vocabulary[code]
        result.append(
            IndicatorFound(
                code=code,
                group=ind.group,
                strength=ind.strength,
                label=LocalText(text=ind.label),
                evidence=_evidence(instrument, found[code]),
            )
        )
    return tuple(result)


def _palermo(
    instrument: Instrument, found: dict[str, set[tuple[int, str, Any]]], *, child: bool
) -> Palermo:
    order = instrument.indicator_index
    vocabulary = instrument.indicators_by_code

    def element(group: Group) -> PalermoElement:
        mine = sorted((c for c in found if vocabulary[c].group == group), key=order.__getitem__)
        return PalermoElement(
            found=bool(mine),
            indicators=tuple(mine),
            evidence=_evidence(instrument, (e for c in mine for e in found[c])),
        )

    act = element("palermo_act")
    means = element("palermo_means")
    purpose = element("palermo_purpose")
    return Palermo(
        act=act,
        means=means,
        purpose=purpose,
        means_required=not child,
        elements_met=act.found and purpose.found and (child or means.found),
    )


def _flags(
    instrument: Instrument, found: dict[str, set[tuple[int, str, Any]]]
) -> tuple[RaisedFlag, ...]:
    rules = {rule.flag: rule for rule in instrument.flags}
    order = instrument.indicator_index
    codes = found.keys()
    raised = []
    for flag in FLAG_ORDER:
        rule = rules[flag]
        hits = sorted(codes & set(rule.indicators_any), key=order.__getitem__)
        if not hits:
            continue
        if not rule.strong_if_any:
            raised.append(
                RaisedFlag(flag=flag, indicators=tuple(hits), note=LocalText(text=rule.note))
            )
            continue
        # A graded flag: strong when a strong code was found beside what raised it.
        strong = bool(codes & set(rule.strong_if_any))
        note = rule.note if strong or rule.possible_note is None else rule.possible_note
        raised.append(
            RaisedFlag(
                flag=flag,
                indicators=tuple(hits),
                note=LocalText(text=note),
                strength="strong" if strong else "possible",
                evidence=_evidence(instrument, (e for c in hits for e in found[c])),
            )
        )
    return tuple(raised)


def _rule_fires(
    rule: BandingRule,
    instrument: Instrument,
    codes: frozenset[str],
    palermo: Palermo,
    answered: int,
) -> bool:
    if rule.palermo_elements_met is not None and rule.palermo_elements_met != palermo.elements_met:
        return False
    if rule.max_answered is not None and answered > rule.max_answered:
        return False
    if not codes.issuperset(rule.indicators_all):
        return False
    vocabulary = instrument.indicators_by_code
    for threshold in rule.thresholds:
        count = sum(
            1
            for code in codes
            if vocabulary[code].group in threshold.groups
            and (threshold.strength is None or vocabulary[code].strength == threshold.strength)
        )
        if count < threshold.at_least:
            return False
    return True


def _band(
    instrument: Instrument, codes: frozenset[str], palermo: Palermo, answered: int
) -> tuple[Band, tuple[Reason, ...]]:
    fired = [r for r in instrument.banding if _rule_fires(r, instrument, codes, palermo, answered)]
    # The definition guarantees an unconditional last rule, so `fired` is never empty.
    band = min((r.band for r in fired), key=BAND_ORDER.index)
    reasons = tuple(
        Reason(rule=r.id, text=LocalText(text=r.reason)) for r in fired if r.band == band
    )
    return band, reasons


def _referrals(
    instrument: Instrument, codes: frozenset[str], flags: frozenset[str], band: Band
) -> tuple[Referral, ...]:
    reasons: dict[Service, list[Reason]] = {}
    for rule in instrument.referrals:
        if (
            codes.intersection(rule.indicators_any)
            or flags.intersection(rule.flags_any)
            or band in rule.bands_any
        ):
            reasons.setdefault(rule.service, []).append(
                Reason(rule=rule.id, text=LocalText(text=rule.reason))
            )
    return tuple(
        Referral(service=service, reasons=tuple(reasons[service]))
        for service in SERVICE_ORDER
        if service in reasons
    )
