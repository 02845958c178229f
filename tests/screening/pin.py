"""Write a pin of an instrument version's results: ``python -m tests.screening.pin 2``.

A pin holds, for each synthetic answer set (the scenarios of that version plus
seeded random ones), the band, flags, referrals and indicator codes, and a
SHA-256 of the whole assessment (sorted compact JSON, ``engine_version`` left
out). ``test_v2_pinned.py`` then proves that later engine changes leave the
results of that version as they were. Run it only to create a pin, never to
refresh one: a pin that is rewritten after an engine change proves nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

import msgspec

from screening import Answer, Instrument, assess, load_registry
from screening.answers import is_shown
from tests.screening.support import AS_OF

DATA = Path(__file__).parent / "data"


def canonical(data: dict[str, Any]) -> str:
    """The sorted compact JSON that a pin hashes."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(data: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON."""
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def random_answers(instrument: Instrument, rng: random.Random) -> dict[str, Any]:
    """A valid answer set (JSON form): shown items only, with some skips and gaps."""
    given: dict[str, Answer] = {}
    out: dict[str, Any] = {}
    density = rng.choice((0.2, 0.5, 0.9))
    for item in instrument.items:
        if not is_shown(item, given) or rng.random() > density:
            continue
        if rng.random() < 0.08:
            kind = rng.choice(("prefer_not_to_say", "dont_know", "not_asked"))
            given[item.id] = Answer(skipped=kind)  # type: ignore[arg-type]
            out[item.id] = {"skipped": kind}
            continue
        value: Any
        if item.type == "yes_no":
            value = rng.choice(("yes", "no"))
        elif item.type == "single_choice":
            value = rng.choice(item.options).value
        elif item.type == "multiple_choice":
            options = [o.value for o in item.options]
            value = sorted(rng.sample(options, rng.randint(0, min(3, len(options)))))
        elif item.type == "number":
            low, high = int(item.min or 0), int(item.max if item.max is not None else 100)
            value = rng.randint(low, high)
        elif item.type == "date":
            value = f"{rng.randint(2000, 2012)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        else:
            value = f"SYNTHETIC note {rng.randint(1000, 9999)}"
        given[item.id] = Answer(value=value)
        out[item.id] = {"value": value}
    return out


def result(instrument: Instrument, answers: dict[str, Any]) -> dict[str, Any]:
    """The assessment of a JSON answer set, as a dict without ``engine_version``."""
    decoded = {k: msgspec.convert(v, Answer) for k, v in answers.items()}
    data: dict[str, Any] = msgspec.to_builtins(assess(instrument, decoded, as_of=AS_OF))
    del data["engine_version"]
    return data


def pin(version: int, scenarios: dict[str, dict[str, Any]], randoms: int) -> dict[str, Any]:
    """Assess the scenarios and ``randoms`` seeded random answer sets with one version."""
    instrument = load_registry().get("scam_compound", version)
    rng = random.Random(f"scam_compound v{version} pin")
    named = dict(scenarios)
    for n in range(randoms):
        named[f"random_{n:03d}"] = random_answers(instrument, rng)
    cases = []
    for name, answers in named.items():
        data = result(instrument, answers)
        cases.append(
            {
                "name": name,
                "answers": answers,
                "band": data["band"],
                "flags": [f["flag"] for f in data["flags"]],
                "referrals": [r["service"] for r in data["referrals"]],
                "indicators": [i["code"] for i in data["indicators"]],
                "notes": [n["rule"] for n in data["notes"]],
                "sha256": digest(data),
            }
        )
    return {
        "instrument": "scam_compound",
        "version": version,
        "as_of": AS_OF.isoformat(),
        "cases": cases,
    }


def _v2_scenarios() -> dict[str, dict[str, Any]]:
    from tests.screening.test_v2_scenarios import FIXES

    named = {
        f"issue11_item{fix.item}_{fix.name}": {k: {"value": v} for k, v in fix.values.items()}
        for fix in FIXES
    }
    yes = {"value": "yes"}
    named["coherent_all_yes"] = dict.fromkeys(
        (
            "safe_now",
            "food_and_water",
            "safe_place_tonight",
            "hurt_now",
            "locked_in",
            "threatened_you",
            "citizen_here",
            "lived_at_workplace",
        ),
        yes,
    )
    named["observed_age_only"] = {"observed_age": yes}
    named["child_no_specialist"] = {
        "age_years": {"value": 15},
        "child_handover": {"value": "no"},
        "hit_or_hurt": yes,
        "work_done": {"value": ["chat_scams"]},
    }
    named["compound_victim_locked_guarded"] = {
        "how_recruited": {"value": ["online_ad"]},
        "lived_at_workplace": yes,
        "free_to_leave": {"value": "no"},
        "locked_in": yes,
        "guarded": {"value": ["guards"]},
        "work_done": {"value": ["chat_scams"]},
    }
    named["cleaner_with_target"] = {"work_done": {"value": ["compound_work"]}, "had_target": yes}
    named["child_by_date_of_birth"] = {"date_of_birth": {"value": "2010-06-01"}}
    return named


if __name__ == "__main__":  # pragma: no cover - a one-off writer, run by hand
    target = int(sys.argv[1])
    if target != 2:
        raise SystemExit("only the v2 pin is written by this script (v1's predates it)")
    out = DATA / "v2_pinned.json"
    if out.exists():
        raise SystemExit(f"{out} exists: a pin is never rewritten")
    out.write_text(json.dumps(pin(2, _v2_scenarios(), 150), indent=0, sort_keys=True) + "\n")
    sys.stderr.write(f"wrote {out}\n")
