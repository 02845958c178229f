"""protect_linked() and may_release(): tables of the same people, and releases over time."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.statistics import (
    TOTAL_TERM,
    InvalidTable,
    OneWayTable,
    ProtectedOneWayTable,
    Table,
    carried_over,
    hidden_terms,
    may_release,
    protect,
    protect_linked,
    table_terms,
    terms_of,
    withheld,
)
from tests.backend.statistics import attacker

FIVE_NATIONALITIES = OneWayTable(
    labels=["KH", "TH", "VN", "MM", "LA", "other"], counts=[1] * 5 + [0]
)
AGE = OneWayTable(labels=["child", "adult", "unknown"], counts=[0, 5, 0])


def test_alone_each_table_passes_but_another_tables_total_recovers_every_count() -> None:
    """The issue's margin attack: five people of five nationalities, and the age table's total."""
    nationality, age = protect(FIVE_NATIONALITIES), protect(AGE)
    assert nationality.total.value is None  # hidden: five hidden counts of at least 1 sum to 5
    assert age.total.value == 5  # ...but published here, so each nationality count is 1
    together = attacker.linked_ranges([nationality, age])
    assert together[(0, 0)] == (1.0, 1.0)


def test_linked_tables_are_audited_together() -> None:
    linked = protect_linked([("nationality", FIVE_NATIONALITIES), ("age_group", AGE)])
    tables = [table for _, table in linked]
    assert tables[0].total is tables[1].total
    assert tables[0].total.value is None and tables[1].cells[1].value is None
    for low, high in attacker.linked_ranges(tables).values():
        assert high - low >= 5


def test_linked_tables_must_count_the_same_people() -> None:
    with pytest.raises(InvalidTable, match="one total"):
        protect_linked([("a", OneWayTable(labels=["x"], counts=[3])), ("b", AGE)])
    with pytest.raises(InvalidTable, match="unique"):
        protect_linked([("a", AGE), ("a", AGE)])
    with pytest.raises(InvalidTable, match="at least one"):
        protect_linked([])
    with pytest.raises(ValueError, match="k must be"):
        protect_linked([("a", AGE)], k=1)


COUNT = st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(0, 40))


@st.composite
def linked(draw: st.DrawFn) -> list[tuple[str, OneWayTable]]:
    """Two to four partitions of the same people."""
    people = draw(st.lists(st.tuples(*(st.integers(0, 4) for _ in range(4))), max_size=40))
    tables = []
    for t in range(draw(st.integers(2, 4))):
        width = draw(st.integers(1, 5))
        counts = [0] * width
        for person in people:
            counts[person[t] % width] += 1
        tables.append((f"t{t}", OneWayTable(labels=[f"l{i}" for i in range(width)], counts=counts)))
    return tables


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(tables=linked())
def test_no_hidden_count_of_linked_tables_narrows_below_k(
    tables: list[tuple[str, OneWayTable]],
) -> None:
    protected = [table for _, table in protect_linked(tables)]
    for table, (_, source) in zip(protected, tables, strict=True):
        for cell, count in zip(table.cells, source.counts, strict=True):
            assert cell.value is None or cell.value == count
            assert cell.value is None or cell.value == 0 or cell.value >= 5
    for low, high in attacker.linked_ranges(protected).values():
        assert high - low >= 5


def test_terms_name_every_count_and_the_shared_total() -> None:
    terms = terms_of([("age_group", AGE)])
    assert terms == {
        "age_group/child": 0,
        "age_group/adult": 5,
        "age_group/unknown": 0,
        TOTAL_TERM: 5,
    }


RELEASES = {
    "nothing released yet": ({"a": 1}, [], True),
    "unchanged": ({"a": 3, "total": 9}, [{"a": 3, "total": 9}], True),
    "one person more": ({"a": 4, "total": 10}, [{"a": 3, "total": 9}], False),
    "five more in every count that moved": ({"a": 8, "total": 14}, [{"a": 3, "total": 9}], True),
    "one withdrawal": ({"a": 2, "total": 8}, [{"a": 3, "total": 9}], False),
    "a new label counts from 0": ({"a": 3, "b": 1, "total": 10}, [{"a": 3, "total": 9}], False),
    "a label gone counts to 0": ({"total": 9}, [{"a": 3, "total": 9}], False),
    "+9 then -5 is 4 against the first": (
        {"a": 14, "total": 14},
        [{"a": 10, "total": 10}, {"a": 19, "total": 19}],
        False,
    ),
}


@pytest.mark.parametrize("case", RELEASES.values(), ids=RELEASES.keys())
def test_may_release(case: tuple[dict[str, int], list[dict[str, int]], bool]) -> None:
    current, released, expected = case
    assert may_release(current, released, k=5) is expected


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(
        st.dictionaries(st.sampled_from("abcd"), st.integers(0, 30), min_size=1), max_size=6
    ),
    current=st.dictionaries(st.sampled_from("abcd"), st.integers(0, 30), min_size=1),
)
def test_a_release_differs_from_every_earlier_one_by_zero_or_at_least_k(
    history: list[dict[str, int]], current: dict[str, int]
) -> None:
    if may_release(current, history, k=5):
        for earlier in history:
            for term in "abcd":
                moved = abs(current.get(term, 0) - earlier.get(term, 0))
                assert moved == 0 or moved >= 5


def test_withheld_hides_everything() -> None:
    ((_, table),) = withheld([("age_group", AGE)])
    assert table.labels == AGE.labels
    assert all(c.value is None for c in (*table.cells, table.total))


def test_a_two_way_tables_terms_are_its_cells_margins_and_total() -> None:
    table = Table(row_labels=["tron", "bitcoin"], column_labels=["wage"], counts=[[6], [1]])
    assert table_terms(table) == {
        "tron/wage": 6,
        "bitcoin/wage": 1,
        "tron/*": 6,
        "bitcoin/*": 1,
        "*/wage": 7,
        TOTAL_TERM: 7,
    }


def _two_releases(keep: frozenset[str]) -> list[tuple[str, ProtectedOneWayTable]]:
    return protect_linked(
        [
            ("nationality", OneWayTable(labels=["KH", "TH", "VN"], counts=[12, 3, 5])),
            ("age_group", OneWayTable(labels=["child", "adult"], counts=[0, 20])),
        ],
        keep=keep,
    )


def test_a_count_an_earlier_release_hid_stays_hidden_while_unchanged() -> None:
    """Release 1 hides TH 3 and KH 12 (total 15); five VN join. Showing KH 12 gives TH 3 away."""
    first_terms = {"nationality/KH": 12, "nationality/TH": 3, "nationality/VN": 0, TOTAL_TERM: 15}
    first = protect_linked(
        [
            ("nationality", OneWayTable(labels=["KH", "TH", "VN"], counts=[12, 3, 0])),
            ("age_group", OneWayTable(labels=["child", "adult"], counts=[0, 15])),
        ]
    )
    assert hidden_terms(first) == {"nationality/KH", "nationality/TH"}
    naive = _two_releases(frozenset())
    assert naive[0][1].cells[0].value == 12  # KH shown unchanged: 15 - 12 = TH
    second_terms = {"nationality/KH": 12, "nationality/TH": 3, "nationality/VN": 5, TOTAL_TERM: 20}
    keep = carried_over(second_terms, [(first_terms, hidden_terms(first))])
    assert keep == {"nationality/KH", "nationality/TH"}
    second = _two_releases(keep)
    assert second[0][1].cells[0].value is None
    assert second[0][1].cells[0].reason == "carried"
    for low, high in attacker.linked_ranges([t for _, t in second]).values():
        assert high - low >= 5


def test_only_unchanged_hidden_terms_are_carried_over() -> None:
    earlier = ({"a/x": 3, "a/y": 12, TOTAL_TERM: 15}, {"a/x", "a/y"})
    assert carried_over({"a/x": 3, "a/y": 17, TOTAL_TERM: 20}, [earlier]) == {"a/x"}
    assert carried_over({"a/x": 8, "a/y": 17, TOTAL_TERM: 25}, [earlier]) == frozenset()
