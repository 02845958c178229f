"""Issue 18: answers promised not to be used against the person are marked and left out of
what is shared (``screening.shareable_assessment``), whatever their value."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import (
    Answer,
    InstrumentDefinitionError,
    assess,
    load_registry,
    shareable_assessment,
)
from screening.model import BAND_ORDER
from tests.screening.support import AS_OF, answers, decoded, examples, minimal
from tests.screening.test_properties import answer_sets

REGISTRY = load_registry()
V3 = REGISTRY.get("scam_compound", 3)
PROTECTED = REGISTRY.protected_items("scam_compound")
PROMISE = "will not be used against you"


def test_the_two_promised_answers_are_protected() -> None:
    assert {"secret_crossing", "afraid_of_arrest"} == PROTECTED
    promised = {
        item.id
        for version in REGISTRY.versions("scam_compound")
        for item in REGISTRY.get("scam_compound", version).items
        if item.help and PROMISE in item.help
    }
    assert promised == PROTECTED  # every version's promise is covered, ids being stable
    assert {i.id for i in V3.items if i.protected} == PROTECTED


def test_a_protected_answer_can_never_feed_a_disclosure() -> None:
    data = minimal()
    data["items"][0]["protected"] = True
    data["items"][0]["feeds"] = "disclosure"
    with pytest.raises(InstrumentDefinitionError) as raised:
        decoded(data)
    assert any(p.path == "items[0].protected" for p in raised.value.problems)


def test_fear_of_arrest_counts_for_the_person_but_is_not_shared() -> None:
    values = answers({"afraid_of_arrest": "yes"})
    full = assess(V3, values, as_of=AS_OF)
    shared = shareable_assessment(V3, values, as_of=AS_OF, protected=PROTECTED)
    assert full.has_flag("immediate_needs") and "legal_aid" in full.referral_services()
    assert not shared.flags and not shared.referrals


def _with_protected(values: dict[str, Answer], chosen: dict[str, Any]) -> dict[str, Answer]:
    out = {k: v for k, v in values.items() if k not in PROTECTED}
    for item_id, value in chosen.items():
        if value is not None:
            out[item_id] = value
    return out


PROTECTED_ANSWER = st.sampled_from(
    [None, Answer(value="yes"), Answer(value="no"), Answer(skipped="prefer_not_to_say")]
)


@settings(max_examples=examples(150))
@given(
    values=answer_sets(3),
    first=st.fixed_dictionaries(dict.fromkeys(sorted(PROTECTED), PROTECTED_ANSWER)),
    second=st.fixed_dictionaries(dict.fromkeys(sorted(PROTECTED), PROTECTED_ANSWER)),
)
def test_what_is_shared_never_depends_on_a_protected_answer(
    values: dict[str, Answer], first: dict[str, Any], second: dict[str, Any]
) -> None:
    one = shareable_assessment(V3, _with_protected(values, first), as_of=AS_OF, protected=PROTECTED)
    other = shareable_assessment(
        V3, _with_protected(values, second), as_of=AS_OF, protected=PROTECTED
    )
    assert (one.band, one.flags, one.indicators, one.referrals) == (
        other.band,
        other.flags,
        other.indicators,
        other.referrals,
    )
    full = assess(V3, _with_protected(values, first), as_of=AS_OF)
    assert BAND_ORDER.index(one.band) >= BAND_ORDER.index(full.band)
    assert {f.flag for f in one.flags} <= {f.flag for f in full.flags}
