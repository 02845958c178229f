"""Translation hooks: list an instrument's texts, and apply translations.

The gettext runtime (catalogues, locale negotiation) lives in the backend;
this module only needs a callback ``translate(context, msgid)`` returning
``(text, reviewed)`` or None when there is no translation. Every text carries
a status so the phone can mark translations no qualified translator has
reviewed, and English shown because a translation is missing.

Contexts look like ``scam_compound.item.safe_now.text``; see
:func:`iter_messages` for the full list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import msgspec

from screening._contexts import context
from screening.assessment import (
    Assessment,
    LocalText,
    Reason,
    Referral,
)
from screening.model import Condition, Instrument, Item, ItemType

__all__ = [
    "LocalizedAnswerLabels",
    "LocalizedInstrument",
    "LocalizedItem",
    "LocalizedOption",
    "LocalizedSection",
    "Message",
    "Translate",
    "TranslationSummary",
    "iter_messages",
    "localize",
    "localize_assessment",
]

Translate = Callable[[str, str], tuple[str, bool] | None]
"""``translate(context, msgid) -> (text, reviewed)``, or None when missing."""


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One translatable English source text."""

    context: str
    msgid: str
    comment: str


class LocalizedOption(msgspec.Struct, frozen=True, kw_only=True):
    """An option of a choice item."""

    value: str
    text: LocalText


class LocalizedItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An item, with everything the phone needs to ask it and check the answer."""

    id: str
    type: ItemType
    text: LocalText
    help: LocalText | None = None
    options: tuple[LocalizedOption, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: LocalText | None = None
    max_length: int | None = None
    allow_partial: bool = False
    show_if: Condition | None = None
    sensitive: bool = False
    feeds: str | None = None
    reverse_keyed: bool = False
    observer: bool = False


class LocalizedSection(msgspec.Struct, frozen=True, kw_only=True):
    """A section and its items, in the order they are asked."""

    id: str
    title: LocalText
    help: LocalText | None
    items: tuple[LocalizedItem, ...]


class LocalizedAnswerLabels(msgspec.Struct, frozen=True, kw_only=True):
    """Labels of yes/no and of the skip answers every item offers."""

    yes: LocalText
    no: LocalText
    prefer_not_to_say: LocalText
    dont_know: LocalText


class TranslationSummary(msgspec.Struct, frozen=True, kw_only=True):
    """How many texts have each status."""

    source: int = 0
    reviewed: int = 0
    unreviewed: int = 0
    fallback: int = 0


class LocalizedInstrument(msgspec.Struct, frozen=True, kw_only=True):
    """An instrument version in one locale: what the phone needs to screen offline.

    Scoring rules are not included: assessments are computed on the server.
    """

    key: str
    version: int
    locale: str | None
    title: LocalText
    description: LocalText
    answer_labels: LocalizedAnswerLabels
    sections: tuple[LocalizedSection, ...]
    translation: TranslationSummary


def iter_messages(instrument: Instrument) -> Iterator[Message]:
    """Yield every user-facing text of an instrument, with a stable context.

    Contexts (``<key>`` is the instrument key):
    ``<key>.title``, ``<key>.description``, ``<key>.answer.<yes|no|prefer_not_to_say|dont_know>``,
    ``<key>.indicator.<code>.label|description``, ``<key>.section.<id>.title|help``,
    ``<key>.item.<id>.text|help|unit``, ``<key>.item.<id>.option.<value>``,
    ``<key>.banding.<rule>.reason``, ``<key>.flag.<flag>.note|possible_note``,
    ``<key>.referral.<rule>.reason``, ``<key>.note.<rule>.text``.

    Args:
        instrument: The instrument.

    Yields:
        Messages in definition order. Rationales are not included: they are
        for reviewers, not for the person screened.
    """
    key = instrument.key
    title = instrument.title

    def msg(parts: tuple[str, ...], text: str | None, comment: str) -> Iterator[Message]:
        if text is not None:
            yield Message(context=context(key, *parts), msgid=text, comment=comment)

    yield from msg(("title",), title, "Title of the screening instrument.")
    yield from msg(("description",), instrument.description, "Description of the instrument.")
    labels = instrument.answer_labels
    for name, text in (
        ("yes", labels.yes),
        ("no", labels.no),
        ("prefer_not_to_say", labels.prefer_not_to_say),
        ("dont_know", labels.dont_know),
    ):
        yield from msg(("answer", name), text, "An answer the person can give to any question.")
    for ind in instrument.indicators:
        note = f"Name of an indicator ({ind.group}), shown to caseworkers and coordinators."
        yield from msg(("indicator", ind.code, "label"), ind.label, note)
        yield from msg(("indicator", ind.code, "description"), ind.description, note)
    sections = {s.id: s for s in instrument.sections}
    items_by_section: dict[str, list[Item]] = {}
    for item in instrument.items:
        items_by_section.setdefault(item.section, []).append(item)
    for section in instrument.sections:
        yield from msg(("section", section.id, "title"), section.title, "Title of a section.")
        yield from msg(("section", section.id, "help"), section.help, "Help for a section.")
        for item in items_by_section.get(section.id, ()):
            yield from _item_messages(key, item, sections[item.section].title)
    for rule in instrument.banding:
        yield from msg(("banding", rule.id, "reason"), rule.reason, f"Why the band is {rule.band}.")
    for flag in instrument.flags:
        yield from msg(("flag", flag.flag, "note"), flag.note, f"Note on the {flag.flag} flag.")
        yield from msg(
            ("flag", flag.flag, "possible_note"),
            flag.possible_note,
            f"Note on the {flag.flag} flag when its evidence is not strong.",
        )
    for ref in instrument.referrals:
        yield from msg(("referral", ref.id, "reason"), ref.reason, f"Why a {ref.service} referral.")
    for extra in instrument.notes:
        yield from msg(
            ("note", extra.id, "text"), extra.text, f"A {extra.kind} note for coordinators."
        )


def _item_messages(key: str, item: Item, section_title: str) -> Iterator[Message]:
    where = f'Section "{section_title}".'
    extra = f" {item.translator_note}" if item.translator_note else ""
    base = ("item", item.id)
    asked = (
        "Read by the caseworker only, never aloud to the person"
        if item.observer
        else "Question read to the person"
    )
    yield Message(
        context=context(key, *base, "text"),
        msgid=item.text,
        comment=f"{asked} ({item.type}). Plain words, no blame. {where}{extra}",
    )
    if item.help is not None:
        yield Message(
            context=context(key, *base, "help"),
            msgid=item.help,
            comment=f"Help for the question: {item.text}",
        )
    if item.unit is not None:
        yield Message(
            context=context(key, *base, "unit"),
            msgid=item.unit,
            comment=f"Unit of the number answered to: {item.text}",
        )
    for option in item.options:
        yield Message(
            context=context(key, *base, "option", option.value),
            msgid=option.text,
            comment=f"An answer to: {item.text}",
        )


class _Localizer:
    """Looks texts up and counts their statuses."""

    def __init__(self, key: str, translate: Translate | None) -> None:
        self.key = key
        self.translate = translate
        self.counts = {"source": 0, "reviewed": 0, "unreviewed": 0, "fallback": 0}

    def text(self, source: str, *parts: str) -> LocalText:
        if self.translate is None:
            result = LocalText(text=source, status="source")
        else:
            found = self.translate(context(self.key, *parts), source)
            if found is None or not found[0].strip():
                result = LocalText(text=source, status="fallback")
            else:
                text, reviewed = found
                result = LocalText(text=text, status="reviewed" if reviewed else "unreviewed")
        self.counts[result.status] += 1
        return result

    def optional(self, source: str | None, *parts: str) -> LocalText | None:
        return None if source is None else self.text(source, *parts)


def _use_source(instrument_locale: str, translate: Translate | None, locale: str | None) -> bool:
    return translate is None or locale == instrument_locale


def localize(
    instrument: Instrument, translate: Translate | None, *, locale: str | None = None
) -> LocalizedInstrument:
    """Return the instrument with every text translated, each with its status.

    Args:
        instrument: The instrument version.
        translate: ``translate(context, msgid) -> (text, reviewed) | None``;
            None (or ``locale`` equal to the instrument's source locale) gives
            the English source, with status ``source``.
        locale: The locale the texts are in, recorded in the result.

    Returns:
        The localized instrument. A missing translation falls back to the
        English text with status ``fallback``.
    """
    source = _use_source(instrument.source_locale, translate, locale)
    loc = _Localizer(instrument.key, None if source else translate)
    labels = instrument.answer_labels
    answer_labels = LocalizedAnswerLabels(
        yes=loc.text(labels.yes, "answer", "yes"),
        no=loc.text(labels.no, "answer", "no"),
        prefer_not_to_say=loc.text(labels.prefer_not_to_say, "answer", "prefer_not_to_say"),
        dont_know=loc.text(labels.dont_know, "answer", "dont_know"),
    )
    title = loc.text(instrument.title, "title")
    description = loc.text(instrument.description, "description")
    sections = []
    for section in instrument.sections:
        section_title = loc.text(section.title, "section", section.id, "title")
        section_help = loc.optional(section.help, "section", section.id, "help")
        items = tuple(
            _localize_item(loc, item) for item in instrument.items if item.section == section.id
        )
        sections.append(
            LocalizedSection(id=section.id, title=section_title, help=section_help, items=items)
        )
    return LocalizedInstrument(
        key=instrument.key,
        version=instrument.version,
        locale=instrument.source_locale if source and locale is None else locale,
        title=title,
        description=description,
        answer_labels=answer_labels,
        sections=tuple(sections),
        translation=TranslationSummary(**loc.counts),
    )


def _localize_item(loc: _Localizer, item: Item) -> LocalizedItem:
    base = ("item", item.id)
    return LocalizedItem(
        id=item.id,
        type=item.type,
        text=loc.text(item.text, *base, "text"),
        help=loc.optional(item.help, *base, "help"),
        options=tuple(
            LocalizedOption(value=o.value, text=loc.text(o.text, *base, "option", o.value))
            for o in item.options
        ),
        min=item.min,
        max=item.max,
        integer=item.integer,
        unit=loc.optional(item.unit, *base, "unit"),
        max_length=item.max_length,
        allow_partial=item.allow_partial,
        show_if=item.show_if,
        sensitive=item.sensitive,
        feeds=item.feeds,
        reverse_keyed=item.reverse_keyed,
        observer=item.observer,
    )


def localize_assessment(assessment: Assessment, translate: Translate | None) -> Assessment:
    """Return the assessment with its texts translated, each with its status.

    Translates indicator labels, band reasons, flag notes, referral reasons and notes,
    using the same contexts as :func:`iter_messages`. Texts whose status is
    not ``source`` (already localized) are left as they are.

    Args:
        assessment: An assessment as returned by :func:`screening.assess`.
        translate: ``translate(context, msgid) -> (text, reviewed) | None``;
            None leaves the English source.

    Returns:
        A new assessment; everything but the texts is unchanged.
    """
    loc = _Localizer(assessment.instrument_key, translate)

    def text(value: LocalText, *parts: str) -> LocalText:
        return loc.text(value.text, *parts) if value.status == "source" else value

    def reason(r: Reason, kind: str) -> Reason:
        return Reason(rule=r.rule, text=text(r.text, kind, r.rule, "reason"))

    indicators = tuple(
        msgspec.structs.replace(i, label=text(i.label, "indicator", i.code, "label"))
        for i in assessment.indicators
    )
    flags = tuple(
        msgspec.structs.replace(
            f,
            note=text(
                f.note, "flag", f.flag, "possible_note" if f.strength == "possible" else "note"
            ),
        )
        for f in assessment.flags
    )
    referrals = tuple(
        Referral(service=r.service, reasons=tuple(reason(x, "referral") for x in r.reasons))
        for r in assessment.referrals
    )
    notes = tuple(
        msgspec.structs.replace(n, text=text(n.text, "note", n.rule, "text"))
        for n in assessment.notes
    )
    return msgspec.structs.replace(
        assessment,
        notes=notes,
        indicators=indicators,
        band_reasons=tuple(reason(r, "banding") for r in assessment.band_reasons),
        flags=flags,
        referrals=referrals,
    )
