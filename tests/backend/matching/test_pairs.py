"""Blocking on birth year, deterministic proposals, and the seeded evaluations."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from backend.duplicates.services import PROPOSE_AT
from backend.matching import candidate_pairs, encode_person, score_pair
from bench.matching_raid import (
    HELD_OUT_SEEDS,
    RAID_YEAR,
    encode_all,
    population,
    recall_at_precision,
    tally,
)

KEY = bytes(range(32))


def _person(rid: str, year: int | None, name: str = "Thida Chan") -> object:
    return encode_person(key=KEY, record_id=rid, name=name, birth_year=year, nationality="KH")


@pytest.mark.parametrize(
    ("year", "paired"),
    [
        (1990, True),
        (1991, True),
        (1989, True),
        (1992, True),  # an age estimate two years out
        (1988, True),
        (2533, True),  # Buddhist Era: 1990 CE
        (1909, True),  # last two digits swapped
        (1993, False),
        (1987, False),
    ],
)
def test_blocking_on_birth_year_window(year: int, paired: bool) -> None:
    pairs = candidate_pairs([_person("a", 1990), _person("b", year)], threshold=0.0)  # type: ignore[list-item]
    assert bool(pairs) == paired


def test_an_unknown_birth_year_is_compared_with_everyone() -> None:
    records = [_person("a", 1950), _person("b", 2000), _person("c", None)]
    pairs = candidate_pairs(records, threshold=0.0)  # type: ignore[arg-type]
    assert {(p.left_id, p.right_id) for p in pairs} == {("a", "c"), ("b", "c")}


def test_proposals_are_ordered_and_only_proposals() -> None:
    records = [
        _person("c", 1990, "Chan Thida"),
        _person("a", 1990, "Thida Chan"),
        _person("b", 1990, "Theda Chan"),
        _person("d", 1990, "Kyaw Zaw"),
    ]
    pairs = candidate_pairs(records, threshold=0.8)  # type: ignore[arg-type]
    assert [(p.left_id, p.right_id) for p in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert pairs == candidate_pairs(list(reversed(records)), threshold=0.8)  # type: ignore[arg-type]
    assert all(p.name_similarity == 1.0 and p.birth_year == "same" for p in pairs)


def test_repeated_record_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        candidate_pairs([_person("a", 1990), _person("a", 1990)], threshold=0.5)  # type: ignore[list-item]


#: Raid-like populations (``bench.matching_raid``): the weights were fitted on
#: seeds 101-102; 201 is held out, never used to choose anything. Small here
#: (500 people); bench/RESULTS.md has the full runs.
HELD_OUT_SEED = HELD_OUT_SEEDS[0]


@pytest.fixture(scope="module")
def held_out() -> tuple[list, list]:
    records = population(seed=HELD_OUT_SEED, people=500)
    proposals = candidate_pairs(encode_all(records, KEY), threshold=0.1)
    return records, proposals


def test_the_generator_makes_raids_not_census_populations() -> None:
    """Mostly 20-40, common names repeated, both records of a pair noisy."""
    records = population(seed=HELD_OUT_SEED, people=500)
    ages = [RAID_YEAR - (r.born.year if r.born else r.year or 0) for r in records]
    assert sum(20 <= a <= 40 for a in ages) / len(ages) > 0.6
    assert Counter(r.name for r in records).most_common(1)[0][1] >= 3
    firsts: dict[int, set[str]] = {}
    noisy_pairs = 0
    for r in records:
        if r.pid in firsts and firsts[r.pid] and r.variations:
            noisy_pairs += 1
        firsts.setdefault(r.pid, r.variations)
    assert noisy_pairs > 50


def test_floor_at_the_default_threshold_on_the_held_out_set(held_out: tuple[list, list]) -> None:
    # The figures reached today (bench/RESULTS.md); a change that loses them fails here.
    t = tally(*held_out, PROPOSE_AT)["all"]
    assert t.precision >= 0.9 and t.recall >= 0.7, (t.precision, t.recall)


def test_namesakes_of_a_common_name_born_on_other_days_are_not_proposed() -> None:
    """Six people called Kyaw Kyaw born in 1999; two records of one of them share the day."""
    days = [dt.date(1999, m, 10 + m) for m in range(1, 7)] + [dt.date(1999, 1, 11)]
    records = [
        encode_person(
            key=KEY, record_id=f"r{i}", name="Kyaw Kyaw", birth_date=born, nationality="MM"
        )
        for i, born in enumerate(days)
    ]
    pairs = candidate_pairs(records, threshold=PROPOSE_AT)
    assert [(p.left_id, p.right_id) for p in pairs] == [("r0", "r6")]


def test_a_common_name_says_less_than_a_rare_one() -> None:
    a, b = (encode_person(key=KEY, record_id=r, name="Kyaw Kyaw", birth_year=1999) for r in "ab")
    scores = [score_pair(a, b, name_count=n).score for n in (2, 5, 50)]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1] + 0.3


@pytest.mark.xfail(strict=True, reason="issue 20 target not met yet: see bench/RESULTS.md")
def test_target_on_the_held_out_set(held_out: tuple[list, list]) -> None:
    within = recall_at_precision(*held_out, "within-script")
    across = recall_at_precision(*held_out, "cross-script")
    at_default = tally(*held_out, PROPOSE_AT)["all"]
    assert within is not None and within[0] >= 0.85, within
    assert across is not None and across[0] >= 0.6, across
    assert at_default.precision >= 0.9
