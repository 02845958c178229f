"""Property tests over random valid answer sets for every scam_compound version."""

from __future__ import annotations

import random
from datetime import date
from typing import Any, cast, get_args

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import (
    Answer,
    Assessment,
    Band,
    Instrument,
    Item,
    SkipKind,
    assess,
    load_registry,
    localize,
)
from screening.answers import is_shown
from screening.model import BAND_ORDER, Condition
from tests.screening.support import AS_OF, builtin, examples

SKIPS: tuple[SkipKind, ...] = ("prefer_not_to_say", "dont_know", "not_asked")


def _value(item: Item) -> st.SearchStrategy[Any]:
    options = [o.value for o in item.options]
    match item.type:
        case "yes_no":
            return st.sampled_from(["yes", "no"])
        case "single_choice":
            return st.sampled_from(options)
        case "multiple_choice":
            return st.lists(st.sampled_from(options), unique=True)
        case "number":
            low, high = int(item.min or 0), int(item.max or 0)
            if item.integer:
                return st.integers(low, high)
            return st.integers(low, high) | st.floats(low, high, allow_nan=False)
        case "date":
            day = st.dates(date(1940, 1, 1), AS_OF)
            return st.one_of(
                day.map(date.isoformat),
                day.map(lambda d: d.isoformat()[:7]),
                day.map(lambda d: d.isoformat()[:4]),
            )
        case _:
            return st.text(
                st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=50
            ).filter(str.strip)


REGISTRY = load_registry()
VERSIONS = pytest.mark.parametrize("version", REGISTRY.versions("scam_compound"))


def _instrument(version: int) -> Instrument:
    return REGISTRY.get("scam_compound", version)


@st.composite
def answer_sets(draw: st.DrawFn, version: int = 1) -> dict[str, Answer]:
    """A valid answer set: items walked in order, each absent, skipped or answered."""
    result: dict[str, Answer] = {}
    for item in _instrument(version).items:
        if not is_shown(item, result):
            if draw(st.booleans()):
                result[item.id] = Answer(skipped="not_asked")
            continue
        kind = draw(st.sampled_from(["absent", "value", "value", "value", *SKIPS]))
        if kind == "value":
            result[item.id] = Answer(value=draw(_value(item)))
        elif kind != "absent":
            result[item.id] = Answer(skipped=cast(SkipKind, kind))
    return result


def _run(values: dict[str, Answer], version: int = 1) -> Assessment:
    return assess(_instrument(version), values, as_of=AS_OF)


def _findings(a: Assessment) -> tuple[Any, ...]:
    """Everything but the counts of answers."""
    return (a.band, a.band_reasons, a.indicators, a.palermo, a.flags, a.referrals, a.notes)


def _referenced(condition: Condition | None) -> set[str]:
    if condition is None:
        return set()
    found = {condition.item} if condition.item else set()
    for sub in (*condition.any_of, *condition.all_of):
        found |= _referenced(sub)
    return found


CONDITION_TARGETS = {
    v: set().union(*(_referenced(i.show_if) for i in _instrument(v).items))
    for v in REGISTRY.versions("scam_compound")
}


@VERSIONS
@settings(max_examples=examples(150))
@given(data=st.data())
def test_random_valid_answers_always_get_a_band(version: int, data: st.DataObject) -> None:
    values = data.draw(answer_sets(version))
    assert _run(values, version).band in get_args(Band)


@settings(max_examples=examples(100))
@given(answer_sets(), st.randoms(use_true_random=False))
def test_same_answers_in_any_order_give_the_same_assessment(
    values: dict[str, Answer], rnd: random.Random
) -> None:
    keys = list(values)
    rnd.shuffle(keys)
    shuffled = {k: values[k] for k in keys}
    assert msgspec.json.encode(_run(shuffled)) == msgspec.json.encode(_run(values))


@settings(max_examples=examples(100))
@given(answer_sets())
def test_assessment_round_trips_through_json(values: dict[str, Answer]) -> None:
    assessment = _run(values)
    decoded = msgspec.json.decode(msgspec.json.encode(assessment), type=Assessment)
    assert decoded == assessment


@VERSIONS
@settings(max_examples=examples(120))
@given(data=st.data())
def test_skipped_answers_find_the_same_as_absent_ones(version: int, data: st.DataObject) -> None:
    values = data.draw(answer_sets(version))
    without_skips = {k: v for k, v in values.items() if v.has_value}
    reshuffled_skips = dict(without_skips)
    for item in _instrument(version).items:
        if item.id not in without_skips and is_shown(item, without_skips):
            kind = data.draw(st.sampled_from(["absent", *SKIPS]))
            if kind != "absent":
                reshuffled_skips[item.id] = Answer(skipped=cast(SkipKind, kind))
    expected = _findings(_run(without_skips, version))
    assert _findings(_run(values, version)) == expected
    assert _findings(_run(reshuffled_skips, version)) == expected


@VERSIONS
@settings(max_examples=examples(200))
@given(data=st.data())
def test_one_more_answer_never_lowers_the_band_or_removes_findings(
    version: int, data: st.DataObject
) -> None:
    values = data.draw(answer_sets(version))
    open_items = [
        item
        for item in _instrument(version).items
        if item.id not in CONDITION_TARGETS[version]
        and is_shown(item, values)
        and not (item.id in values and values[item.id].has_value)
    ]
    if not open_items:
        return
    item = data.draw(st.sampled_from(open_items))
    before = _run(values, version)
    after = _run({**values, item.id: Answer(value=data.draw(_value(item)))}, version)
    assert BAND_ORDER.index(after.band) <= BAND_ORDER.index(before.band)
    assert before.indicator_codes() <= after.indicator_codes()
    assert {f.flag for f in before.flags} <= {f.flag for f in after.flags}
    assert set(before.referral_services()) <= set(after.referral_services())
    assert after.palermo.elements_met or not before.palermo.elements_met


@settings(max_examples=examples(100))
@given(answer_sets())
def test_unanswered_counts_add_up_to_the_items_shown(values: dict[str, Answer]) -> None:
    a = _run(values)
    shown = sum(1 for item in builtin().items if is_shown(item, values))
    u = a.unanswered
    assert a.answered + u.prefer_not_to_say + u.dont_know + u.not_asked == shown


@given(st.sampled_from([None, ("traduction", True), ("traduction", False), ("", True)]))
def test_localize_gives_every_text_a_status(found: tuple[str, bool] | None) -> None:
    localized = localize(builtin(), lambda ctx, msgid: found, locale="xx")
    expected = {
        None: "fallback",
        ("traduction", True): "reviewed",
        ("traduction", False): "unreviewed",
        ("", True): "fallback",
    }[found]
    counts = msgspec.structs.asdict(localized.translation)
    assert {k for k, v in counts.items() if v} == {expected}
