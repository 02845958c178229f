"""Blocking on birth year ± 1, deterministic proposals, and the seeded evaluation."""

from __future__ import annotations

import pytest

from backend.matching import candidate_pairs, encode_person
from bench.matching_data import population
from bench.matching_eval import best_threshold, encode_all

KEY = bytes(range(32))


def _person(rid: str, year: int | None, name: str = "Thida Chan") -> object:
    return encode_person(key=KEY, record_id=rid, name=name, birth_year=year, nationality="KH")


@pytest.mark.parametrize(
    ("year", "paired"), [(1990, True), (1991, True), (1989, True), (1992, False), (1988, False)]
)
def test_blocking_on_birth_year_plus_or_minus_one(year: int, paired: bool) -> None:
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


@pytest.fixture(scope="module")
def seeded() -> tuple[list, list]:
    records = population(seed=9, people=600)
    proposals = candidate_pairs(encode_all(records, KEY), threshold=0.3)
    return records, proposals


#: The population the field weights were chosen on is seed 9; seed 11 is held
#: out (never used to choose anything) and shows the choice was not fitted to 9.
HELD_OUT_SEED = 11


@pytest.fixture(scope="module")
def held_out() -> tuple[list, list]:
    records = population(seed=HELD_OUT_SEED, people=600)
    proposals = candidate_pairs(encode_all(records, KEY), threshold=0.3)
    return records, proposals


def test_within_script_floor_on_a_seeded_set(seeded: tuple[list, list]) -> None:
    # The figures reached today (bench/RESULTS.md); a change that loses them fails here.
    f = best_threshold(*seeded, "within-script")
    assert f.precision >= 0.95 and f.recall >= 0.90, f


def test_within_script_floor_on_the_held_out_set(held_out: tuple[list, list]) -> None:
    f = best_threshold(*held_out, "within-script")
    assert f.precision >= 0.95 and f.recall >= 0.90, f


@pytest.mark.xfail(strict=True, reason="issue 9 target not met yet: see bench/RESULTS.md")
def test_within_script_target_on_a_seeded_set(seeded: tuple[list, list]) -> None:
    f = best_threshold(*seeded, "within-script")
    assert f.precision >= 0.95 and f.recall >= 0.95, f
