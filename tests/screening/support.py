"""Shared helpers for the screening tests (synthetic data only)."""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from typing import Any

from screening import Answer, Assessment, Instrument, assess, load_registry
from screening.answers import is_shown

AS_OF = date(2025, 3, 1)

#: Property tests run a third of their examples in the CI profile; set
#: ``LANTERN_PROPERTY_SCALE=3`` (or more) for a thorough run.
PROPERTY_SCALE = float(os.environ.get("LANTERN_PROPERTY_SCALE", "1"))


def examples(thorough: int) -> int:
    """How many examples a property test runs: a third of ``thorough`` at scale 1."""
    return max(20, int(thorough * PROPERTY_SCALE / 3))


"""The fixed screening date used by every test (no hidden clock)."""


@cache
def builtin() -> Instrument:
    """The built-in scam_compound v1 instrument."""
    return load_registry().get("scam_compound", 1)


def skip(kind: str) -> Answer:
    """A skipped answer of the given kind."""
    return Answer(skipped=kind)  # type: ignore[arg-type]


def answers(values: dict[str, Any]) -> dict[str, Answer]:
    """Wrap raw values as answers; Answer instances are kept as they are."""
    return {k: v if isinstance(v, Answer) else Answer(value=v) for k, v in values.items()}


def run(values: dict[str, Any], *, as_of: date | None = AS_OF) -> Assessment:
    """Assess raw values with the built-in instrument."""
    return assess(builtin(), answers(values), as_of=as_of)


def denials(instrument: Instrument | None = None) -> dict[str, Answer]:
    """Answer every shown item with an answer that evidences nothing.

    Items where every possible answer is evidence (e.g. how the person was
    recruited) are left out.
    """
    instrument = instrument or builtin()
    result: dict[str, Answer] = {}
    for item in instrument.items:
        if not is_shown(item, result):
            continue
        mapped = {rule.when for rule in item.evidence if rule.when is not None}
        value: Any = None
        if item.type == "yes_no":
            free = [v for v in ("no", "yes") if v not in mapped]
            value = free[0] if free else None
        elif item.type == "single_choice":
            free = [o.value for o in item.options if o.value not in mapped]
            value = free[0] if free else None
        elif item.type == "multiple_choice":
            value = []
        elif item.type == "number":
            value = {"age_years": 30, "hours_per_day": 8, "days_off": 8}[item.id]
        elif item.type == "date":
            value = "1990-04-02"
        if value is not None:
            result[item.id] = Answer(value=value)
    return result


def minimal() -> dict[str, Any]:
    """A small valid definition (as a fresh dict each call) to break in tests."""
    return {
        "key": "mini",
        "version": 1,
        "title": "Mini screening",
        "description": "A tiny synthetic instrument for tests.",
        "answer_labels": {
            "yes": "Yes",
            "no": "No",
            "prefer_not_to_say": "Prefer not to say",
            "dont_know": "Don't know",
        },
        "indicators": [
            {"code": "pal_act_recruitment", "group": "palermo_act", "label": "Recruitment"},
            {"code": "pal_means_deception", "group": "palermo_means", "label": "Deception"},
            {"code": "pal_purpose_forced_labour", "group": "palermo_purpose", "label": "Labour"},
            {"code": "ilo_deception", "group": "ilo", "strength": "medium", "label": "Deception"},
            {"code": "ilo_debt_bondage", "group": "ilo", "strength": "strong", "label": "Debt"},
            {"code": "need_injury", "group": "need", "label": "Hurt"},
            {"code": "profile_child", "group": "profile", "label": "Child"},
        ],
        "sections": [{"id": "now", "title": "Now"}, {"id": "before", "title": "Before"}],
        "items": [
            {
                "id": "hurt",
                "section": "now",
                "type": "yes_no",
                "text": "Are you hurt?",
                "evidence": [{"when": "yes", "indicators": ["need_injury"], "rationale": "Care."}],
            },
            {
                "id": "lied_to",
                "section": "before",
                "type": "yes_no",
                "text": "Were you lied to?",
                "evidence": [
                    {
                        "when": "yes",
                        "indicators": ["ilo_deception", "pal_means_deception"],
                        "rationale": "Deception.",
                    }
                ],
            },
            {
                "id": "how",
                "section": "before",
                "type": "single_choice",
                "text": "How did you hear of the job?",
                "options": [
                    {"value": "ad", "text": "An advert"},
                    {"value": "other", "text": "Other"},
                ],
                "show_if": {"item": "lied_to", "equals": "yes"},
                "evidence": [
                    {"when": "ad", "indicators": ["pal_act_recruitment"], "rationale": "Act."}
                ],
            },
            {
                "id": "age",
                "section": "before",
                "type": "number",
                "min": 0,
                "max": 120,
                "integer": True,
                "text": "How old are you?",
                "evidence": [{"below": 18, "indicators": ["profile_child"], "rationale": "Child."}],
            },
            {
                "id": "arrived_on",
                "section": "before",
                "type": "date",
                "text": "When did you arrive?",
                "administrative": True,
                "rationale": "Context only.",
            },
            {
                "id": "notes",
                "section": "before",
                "type": "free_text",
                "max_length": 100,
                "text": "Anything else?",
                "administrative": True,
                "rationale": "Not scored.",
            },
        ],
        "banding": [
            {
                "id": "palermo",
                "band": "strong_indicators",
                "reason": "All elements.",
                "palermo_elements_met": True,
            },
            {
                "id": "some",
                "band": "some_indicators",
                "reason": "Something.",
                "thresholds": [{"groups": ["ilo"], "at_least": 1}],
            },
            {"id": "rest", "band": "insufficient_information", "reason": "Not enough."},
        ],
        "flags": [
            {"flag": "child", "indicators_any": ["profile_child"], "note": "Child."},
            {"flag": "immediate_needs", "indicators_any": ["need_injury"], "note": "Now."},
            {"flag": "forced_criminality", "indicators_any": ["ilo_debt_bondage"], "note": "NP."},
        ],
        "referrals": [
            {
                "id": "med",
                "service": "medical",
                "indicators_any": ["need_injury"],
                "reason": "Hurt.",
            }
        ],
    }


def decoded(data: dict[str, Any]) -> Instrument:
    """Decode a definition dict and run the cross-field checks."""
    import msgspec

    from screening import check_instrument

    instrument = msgspec.convert(data, Instrument)
    check_instrument(instrument, source="mini")
    return instrument
