"""Screenings stored under scam_compound v2 assess exactly as they did before v3.

``data/v2_pinned.json`` was written by ``tests/screening/pin.py`` with engine
2.0.0, before any v3 change to the engine: for each synthetic answer set (the
v2 scenarios, a few people of issue 18, and seeded random sets) it holds the
band, flags, referrals, indicator codes and notes, and a SHA-256 of the whole
assessment (sorted compact JSON, ``engine_version`` left out). Fields added
to the assessment later must keep their empty value for v2 and are left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import load_registry
from tests.screening.pin import digest, result

PINNED = json.loads((Path(__file__).parent / "data" / "v2_pinned.json").read_text("utf-8"))
ADDED_SINCE_PIN: dict[str, Any] = {"observer_answered": 0}
"""Assessment fields added after the pin, with the value every v2 result must have."""
V2 = load_registry().get(PINNED["instrument"], PINNED["version"])


@pytest.mark.parametrize("case", PINNED["cases"], ids=[c["name"] for c in PINNED["cases"]])
def test_v2_result_is_unchanged(case: dict[str, Any]) -> None:
    assert PINNED["version"] == 2
    data = result(V2, case["answers"])
    for name, empty in ADDED_SINCE_PIN.items():
        assert data.pop(name, empty) == empty, f"{name} must stay empty for v2"
    summary = {
        "band": data["band"],
        "flags": [f["flag"] for f in data["flags"]],
        "referrals": [r["service"] for r in data["referrals"]],
        "indicators": [i["code"] for i in data["indicators"]],
        "notes": [n["rule"] for n in data["notes"]],
    }
    assert summary == {k: case[k] for k in summary}
    assert digest(data) == case["sha256"]


def test_pinned_set_covers_every_band_flag_and_note() -> None:
    cases = PINNED["cases"]
    assert {c["band"] for c in cases} == {
        "strong_indicators",
        "some_indicators",
        "insufficient_information",
    }
    assert {f for c in cases for f in c["flags"]} == {
        "child",
        "immediate_needs",
        "forced_criminality",
    }
    assert {n for c in cases for n in c["notes"]} == {n.id for n in V2.notes}
