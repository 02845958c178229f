"""Properties of protect() over random tables, checked against the tests' own attacker.

A short run here; the ``slow`` variant runs more examples (many more with
``LANTERN_TEST_PROFILE=long``, see tests/profile.py).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.statistics import OneWayTable, ProtectedOneWayTable, ProtectedTable, Table, protect
from tests.backend.statistics import attacker
from tests.profile import size

# Counts skewed to small values: most draws land in 0..4, where suppression bites.
COUNT = st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(0, 12), st.integers(0, 60))
K = st.sampled_from([5, 5, 5, 2, 3, 10])


@st.composite
def tables(draw: st.DrawFn) -> Table | OneWayTable:
    if draw(st.booleans()):
        n = draw(st.integers(1, 6))
        return OneWayTable(
            labels=[f"l{i}" for i in range(n)], counts=draw(st.lists(COUNT, min_size=n, max_size=n))
        )
    r, c = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    counts = draw(st.lists(st.lists(COUNT, min_size=c, max_size=c), min_size=r, max_size=r))
    return Table(
        row_labels=[f"r{i}" for i in range(r)],
        column_labels=[f"c{j}" for j in range(c)],
        counts=counts,
    )


def true_positions(table: Table | OneWayTable) -> list[int]:
    """The true values in ``attacker.positions`` order."""
    if isinstance(table, OneWayTable):
        return [*table.counts, table.total]
    return [
        *(v for row in table.counts for v in row),
        *table.row_totals,
        *table.column_totals,
        table.grand_total,
    ]


def lines(table: ProtectedTable | ProtectedOneWayTable) -> list[tuple[list[int], int]]:
    """(parts, total) per equation, read from the oracle's matrix."""
    return [
        (
            [int(i) for i, x in enumerate(row) if x == 1.0],
            int(next(i for i, x in enumerate(row) if x == -1.0)),
        )
        for row in attacker.equations(table)
    ]


def check(table: Table | OneWayTable, k: int) -> None:
    protected = protect(table, k=k)
    cells = attacker.positions(protected)
    truth = true_positions(table)
    # Every published value is the true one, and is 0 or at least k.
    for cell, true in zip(cells, truth, strict=True):
        if cell.value is None:
            assert true > 0, "a zero was hidden"
            assert (cell.reason == "primary") == (true < k)
        else:
            assert cell.value == true
            assert cell.value == 0 or cell.value >= k
    # The line rule: 0 or >= 2 hidden per line; hidden parts of a line with a
    # published total sum to 0 or at least k.
    for parts, total in lines(protected):
        hidden = [i for i in (*parts, total) if cells[i].value is None]
        assert len(hidden) != 1
        if cells[total].value is not None:
            hidden_sum = sum(truth[i] for i in parts if cells[i].value is None)
            assert hidden_sum == 0 or hidden_sum >= k
    # The attacker's range of every hidden value is at least k wide.
    for index, (low, high) in attacker.ranges(protected).items():
        assert low <= truth[index] <= high
        assert high - low >= k, f"position {index} narrowed to [{low}, {high}]"
    # Deterministic.
    assert protect(table, k=k) == protected


PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(table=tables(), k=K)
def test_protected_tables_hold_every_property(table: Table | OneWayTable, k: int) -> None:
    check(table, k)


@pytest.mark.slow
@settings(
    max_examples=size(ci=100, long=2000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(table=tables(), k=K)
def test_protected_tables_hold_every_property_long_run(table: Table | OneWayTable, k: int) -> None:
    check(table, k)
