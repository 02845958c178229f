"""Screenings stored under scam_compound v1 assess exactly as they did before v2.

``data/v1_pinned.json`` was written with engine 1.0.0, before any v2 change to
the engine: for each synthetic answer set (the v1 scenarios plus seeded random
ones) it holds the band, flags, referrals and indicator codes, and a SHA-256 of
the whole assessment (sorted compact JSON, ``engine_version`` left out). Fields
added to the assessment later must be empty for v1 and are left out too.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest

from screening import Answer, assess
from tests.screening.support import builtin

PINNED = json.loads((Path(__file__).parent / "data" / "v1_pinned.json").read_text("utf-8"))
ADDED_SINCE_PIN: dict[str, Any] = {
    "notes": (),
    "ignored_hidden_answers": (),
    "observer_answered": 0,
}
"""Assessment fields added after the pin, with the value every v1 result must have."""


def _assess(case: dict[str, Any]) -> dict[str, Any]:
    instrument = builtin()
    assert (instrument.key, instrument.version) == (PINNED["instrument"], PINNED["version"])
    answers = {k: msgspec.convert(v, Answer) for k, v in case["answers"].items()}
    result = assess(instrument, answers, as_of=date.fromisoformat(PINNED["as_of"]))
    data: dict[str, Any] = msgspec.to_builtins(result)
    del data["engine_version"]
    for name, empty in ADDED_SINCE_PIN.items():
        assert data.pop(name) == empty, f"{name} must stay empty for v1"
    return data


@pytest.mark.parametrize("case", PINNED["cases"], ids=[c["name"] for c in PINNED["cases"]])
def test_v1_result_is_unchanged(case: dict[str, Any]) -> None:
    data = _assess(case)
    summary = {
        "band": data["band"],
        "flags": [f["flag"] for f in data["flags"]],
        "referrals": [r["service"] for r in data["referrals"]],
        "indicators": [i["code"] for i in data["indicators"]],
    }
    assert summary == {k: case[k] for k in summary}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode()).hexdigest() == case["sha256"]


def test_pinned_set_covers_every_band() -> None:
    assert {c["band"] for c in PINNED["cases"]} == {
        "strong_indicators",
        "some_indicators",
        "insufficient_information",
    }
