"""The shape of an instrument definition, as written in its TOML file.

An instrument is data: sections, items, the indicator codes each answer
evidences (with the reason why), skip logic, and the rules that turn the
indicators found into a band, flags and referrals. The engine in
:mod:`screening.assessment` interprets it; nothing here computes anything.

These Structs are decoded from TOML with unknown fields forbidden, so a typo
in a definition fails at start-up instead of being silently ignored. The
cross-field rules (unique ids, conditions pointing backwards, codes declared
in the vocabulary, ...) are checked by :mod:`screening.definition`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import msgspec

__all__ = [
    "BAND_ORDER",
    "FLAG_ORDER",
    "GROUP_ORDER",
    "SERVICE_ORDER",
    "AnswerLabels",
    "Band",
    "BandingRule",
    "Condition",
    "DerivedRule",
    "EvidenceRule",
    "FlagCode",
    "FlagRule",
    "Group",
    "Indicator",
    "Instrument",
    "Item",
    "ItemType",
    "NoteKind",
    "NoteRule",
    "Option",
    "ReferralRule",
    "Section",
    "Service",
    "Strength",
    "Threshold",
]

ItemType = Literal["yes_no", "single_choice", "multiple_choice", "number", "date", "free_text"]
"""The answer types an item may have."""

Group = Literal[
    "palermo_act",
    "palermo_means",
    "palermo_purpose",
    "ilo",
    "scam_compound",
    "need",
    "profile",
]
"""Indicator groups. ``need`` and ``profile`` codes drive flags and referrals only."""

GROUP_ORDER: tuple[Group, ...] = (
    "palermo_act",
    "palermo_means",
    "palermo_purpose",
    "ilo",
    "scam_compound",
    "need",
    "profile",
)

Strength = Literal["strong", "medium"]
"""ILO weighting of an indicator (used by banding thresholds)."""

Band = Literal["strong_indicators", "some_indicators", "insufficient_information"]
"""Triage bands, best first. There is deliberately no "not a victim" band."""

BAND_ORDER: tuple[Band, ...] = ("strong_indicators", "some_indicators", "insufficient_information")

FlagCode = Literal["child", "immediate_needs", "forced_criminality"]
"""Flags an assessment may raise."""

FLAG_ORDER: tuple[FlagCode, ...] = ("child", "immediate_needs", "forced_criminality")

Service = Literal[
    "medical",
    "shelter",
    "legal_aid",
    "embassy",
    "psychosocial",
    "child_protection",
    "repatriation",
]
"""Services an assessment may recommend a referral to."""

SERVICE_ORDER: tuple[Service, ...] = (
    "medical",
    "shelter",
    "child_protection",
    "psychosocial",
    "legal_aid",
    "embassy",
    "repatriation",
)


class AnswerLabels(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Labels of the answers every item offers (plus yes/no for yes_no items)."""

    yes: str
    no: str
    prefer_not_to_say: str
    dont_know: str


class Indicator(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One code of the instrument's indicator vocabulary."""

    code: str
    group: Group
    label: str
    strength: Strength | None = None
    description: str | None = None


class Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A titled group of items; sections are asked in the order declared."""

    id: str
    title: str
    help: str | None = None


class Option(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One option of a choice item: a stable value and its English text."""

    value: str
    text: str


class Condition(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """A ``show_if`` condition.

    Exactly one form is used:

    * ``{item = "x", equals = "yes"}``: item ``x`` was answered with that value
      (for a multiple-choice item: that option was among those chosen);
    * ``{item = "x", answered = true}``: item ``x`` was (or was not) answered with a
      value; a skipped or absent answer counts as not answered;
    * ``{item = "x", below = 18}``: number item ``x`` was answered with a value
      below that number;
    * ``{item = "x", age_below = 18}``: date-of-birth item ``x`` was answered with a
      date that may make the person younger than that on the screening date (a
      partial date counts if any day it may mean does; with no screening date
      known, it holds: where age is uncertain, a person is presumed a child);
    * ``{any_of = [...]}`` / ``{all_of = [...]}``: combinations of conditions.
    """

    item: str | None = None
    equals: str | None = None
    answered: bool | None = None
    below: float | None = None
    age_below: int | None = None
    any_of: tuple[Condition, ...] = ()
    all_of: tuple[Condition, ...] = ()


class EvidenceRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which answers to an item evidence which indicator codes, and why.

    Exactly one selector is used, matching the item type: ``when`` (a yes/no
    value or an option value), ``below`` / ``at_least`` (numbers), or
    ``age_below`` (a date of birth, compared with the screening date).
    """

    when: str | None = None
    below: float | None = None
    at_least: float | None = None
    age_below: int | None = None
    indicators: tuple[str, ...]
    rationale: str


class Item(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One question."""

    id: str
    section: str
    type: ItemType
    text: str
    help: str | None = None
    options: tuple[Option, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str | None = None
    max_length: int | None = None
    allow_partial: bool = False
    show_if: Condition | None = None
    sensitive: bool = False
    feeds: Literal["disclosure"] | None = None
    administrative: bool = False
    rationale: str | None = None
    evidence: tuple[EvidenceRule, ...] = ()
    translator_note: str | None = None
    reverse_keyed: bool = False
    """A yes/no item whose "no" is the indicator (e.g. "Could you leave when you wanted to?")."""
    observer: bool = False
    """Answered by the caseworker from what they see; never read aloud to the person."""
    protected: bool = False
    """The person is promised the answer will not be used against them: it counts for
    their own assessment, but never leaves the coordinator's view (no investigator,
    export, published summary or referral package; see :mod:`screening.protected`)."""


class Threshold(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """At least ``at_least`` distinct indicator codes of the given groups (and strength)."""

    groups: tuple[Group, ...]
    at_least: int
    strength: Strength | None = None


class BandingRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A banding rule: it fires when all of its criteria hold.

    ``palermo_elements_met`` and ``thresholds`` only ever grow with more
    evidence, so they are the only criteria allowed for the two indicator bands;
    ``max_answered`` is allowed for ``insufficient_information`` rules only.
    """

    id: str
    band: Band
    reason: str
    palermo_elements_met: bool | None = None
    thresholds: tuple[Threshold, ...] = ()
    indicators_all: tuple[str, ...] = ()
    max_answered: int | None = None


class DerivedRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Finds ``code`` when, for every list in ``all_of``, at least one of its codes was found.

    Rules are applied in definition order, so a rule may use codes derived by
    an earlier one. A conjunction of "any of" lists only grows with evidence,
    so derived codes keep the engine monotone. The evidence of a derived code
    is the evidence of the codes that made it.
    """

    code: str
    all_of: tuple[tuple[str, ...], ...]
    rationale: str


NoteKind = Literal["coordinator", "clarify"]
"""``coordinator``: a note on how to read the result; ``clarify``: answers to clarify
gently with the person later (never a credibility flag)."""


class NoteRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A note for the coordinator; it fires when all of its criteria hold.

    Notes never change the band, flags or referrals, so unlike those they may
    depend on something *not* being found (``unless_indicators_any``).
    """

    id: str
    kind: NoteKind
    text: str
    indicators_any: tuple[str, ...] = ()
    unless_indicators_any: tuple[str, ...] = ()
    answers: Condition | None = None
    uniform_keyed_answers: int | None = None
    """Fires when at least this many yes/no items keyed each way (see
    ``Item.reverse_keyed``) were answered, all with the same value."""
    lists_sensitive_answers: bool = False
    """The note also lists every sensitive item answered with a value (e.g. the
    answers a child gave without a child specialist present)."""


class FlagRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Raises a flag when any of the listed indicator codes was found."""

    flag: FlagCode
    indicators_any: tuple[str, ...]
    note: str
    strong_if_any: tuple[str, ...] = ()
    """When given, the raised flag has a strength: ``strong`` if any of these codes
    was found too, else ``possible`` with ``possible_note``; and it shows its evidence."""
    possible_note: str | None = None


class ReferralRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Recommends a service when any listed indicator, flag or band was found."""

    id: str
    service: Service
    reason: str
    indicators_any: tuple[str, ...] = ()
    flags_any: tuple[FlagCode, ...] = ()
    bands_any: tuple[Band, ...] = ()


class Instrument(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, dict=True):
    """One version of a screening instrument, as decoded from its definition file.

    Use :func:`screening.load_registry` (or :func:`screening.parse_instrument`)
    to get a validated instance; a bare decode skips the cross-field checks.
    """

    key: str
    version: int
    source_locale: str = "en"
    title: str
    description: str
    answer_labels: AnswerLabels
    indicators: tuple[Indicator, ...]
    sections: tuple[Section, ...]
    items: tuple[Item, ...]
    banding: tuple[BandingRule, ...]
    flags: tuple[FlagRule, ...]
    referrals: tuple[ReferralRule, ...]
    derived: tuple[DerivedRule, ...] = ()
    notes: tuple[NoteRule, ...] = ()
    observer_answers_apart: bool = False
    """Observer items (answered by the caseworker) are counted apart from the
    person's answers (``Assessment.observer_answered``); before v3 they counted
    among them, and published versions keep that."""

    @cached_property
    def items_by_id(self) -> dict[str, Item]:
        """Items keyed by id."""
        return {item.id: item for item in self.items}

    @cached_property
    def item_index(self) -> dict[str, int]:
        """Position of each item, for sorting evidence in question order."""
        return {item.id: i for i, item in enumerate(self.items)}

    @cached_property
    def indicators_by_code(self) -> dict[str, Indicator]:
        """The vocabulary keyed by code."""
        return {ind.code: ind for ind in self.indicators}

    @cached_property
    def indicator_index(self) -> dict[str, int]:
        """Position of each code in the vocabulary, for sorting indicators."""
        return {ind.code: i for i, ind in enumerate(self.indicators)}
