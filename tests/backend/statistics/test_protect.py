"""protect(): primary, complementary and audit suppression on tables worked by hand."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from backend.statistics import (
    Cell,
    InvalidTable,
    OneWayTable,
    ProtectedTable,
    Reason,
    Table,
    protect,
)
from backend.statistics._engine import line_rule, primary
from backend.statistics.protect import table_lines
from tests.backend.statistics import attacker

P, C, A = "primary", "complementary", "audit"


def reasons(cells: Sequence[Cell]) -> list[Reason | None]:
    return [cell.reason for cell in cells]


def table(counts: list[list[int]]) -> Table:
    return Table(
        row_labels=[f"r{i}" for i in range(len(counts))],
        column_labels=[f"c{j}" for j in range(len(counts[0]))],
        counts=counts,
    )


def line_rule_only(source: Table) -> ProtectedTable:
    """What the line rule alone would publish, without the audit."""
    values, lines = table_lines(source)
    hidden = primary(values, k=5)
    line_rule(values, lines, hidden, k=5)
    cells = [
        Cell(value=None, reason=hidden[i]) if i in hidden else Cell(value=v)
        for i, v in enumerate(values)
    ]
    r, c = len(source.row_labels), len(source.column_labels)
    return ProtectedTable(
        row_labels=source.row_labels,
        column_labels=source.column_labels,
        cells=tuple(tuple(cells[i * c : (i + 1) * c]) for i in range(r)),
        row_totals=tuple(cells[r * c : r * c + r]),
        column_totals=tuple(cells[r * c + r : r * c + r + c]),
        grand_total=cells[-1],
        k=5,
    )


# (counts, reasons of the counts, reason of the total)
ONE_WAY = {
    "nothing small, nothing hidden": ([12, 7, 30], [None, None, None], None),
    "a single 1 gets the smallest non-zero partner": ([1, 9, 7, 20], [P, None, C, None], None),
    "two hidden summing under 5 get a third": ([1, 2, 6, 9], [P, P, C, None], None),
    "two hidden summing to 5 or more are enough": ([3, 4, 6, 9], [P, P, None, None], None),
    "zeros are shown and never chosen as partners": (
        [0, 1, 0, 8, 9],
        [None, P, None, C, None],
        None,
    ),
    "a total from 1 to 4 is hidden, zeros still shown": ([1, 2, 0], [P, P, None], P),
    "ties go to the earlier label": ([2, 7, 7, 7], [P, C, None, None], None),
    "all zeros: nothing to hide": ([0, 0, 0], [None, None, None], None),
    "a single count is its own total": ([3], [P], P),
}


@pytest.mark.parametrize("case", ONE_WAY.values(), ids=ONE_WAY.keys())
def test_one_way(case: tuple[list[int], list[Reason | None], Reason | None]) -> None:
    counts, expected, total = case
    protected = protect(OneWayTable(labels=[str(i) for i in range(len(counts))], counts=counts))
    assert reasons(protected.cells) == expected
    assert protected.total.reason == total
    shown = [c if r is None else None for c, r in zip(counts, expected, strict=True)]
    assert [cell.value for cell in protected.cells] == shown
    assert protected.total.value == (None if total else sum(counts))


def test_a_single_1_in_a_row_gets_partners_in_its_row_and_column() -> None:
    protected = protect(table([[1, 8, 9], [6, 10, 12], [7, 11, 13]]))
    assert [reasons(row) for row in protected.cells] == [
        [P, C, None],  # 8: the smallest partner in row 0
        [C, C, None],  # 6: the smallest in column 0; then 10 partners 8 in column 1
        [None, None, None],
    ]
    # The rectangle leaves one degree of freedom of width 5: the audit adds nothing.
    assert not any(cell.suppressed for cell in (*protected.row_totals, *protected.column_totals))
    assert all(high - low >= 5 for low, high in attacker.ranges(protected).values())


def test_small_totals_are_hidden_and_their_lines_protected() -> None:
    protected = protect(table([[1, 0], [0, 2]]))
    assert [reasons(row) for row in protected.cells] == [[P, None], [None, P]]
    assert reasons(protected.row_totals) == [P, P]
    assert reasons(protected.column_totals) == [P, P]
    assert protected.grand_total.reason == P
    assert [[cell.value for cell in row] for row in protected.cells] == [[None, 0], [0, None]]


def test_a_small_row_total_needs_a_partner_among_the_row_totals() -> None:
    protected = protect(table([[2, 1], [10, 12], [9, 8]]))
    assert protected.row_totals[0].reason == P
    # The row totals under the grand total: a lone hidden row total would be
    # the grand total minus the others.
    assert sum(cell.suppressed for cell in protected.row_totals) >= 2
    assert all(high - low >= 5 for low, high in attacker.ranges(protected).values())


def test_zeros_are_never_hidden() -> None:
    counts = [[0, 3, 0, 6], [1, 0, 0, 9], [0, 0, 4, 0]]
    protected = protect(table(counts))
    for row, cells in zip(counts, protected.cells, strict=True):
        for value, cell in zip(row, cells, strict=True):
            if value == 0:
                assert cell == Cell(value=0)


# A textbook failure of the line rule: two 2x2 blocks of hidden cells joined by
# one hidden cell (row 1, column 2). Every line has two or more hidden cells
# summing to 5 or more, yet the joining cell is a bridge between the blocks:
# the hidden cells of rows 0 and 1 sum to 12 (their totals minus what is
# shown), those of columns 0 and 1 to 10, and the bridge is the difference, 2.
BRIDGE = [
    [3, 3, 10, 10],
    [2, 2, 2, 10],
    [10, 10, 3, 3],
    [10, 10, 3, 3],
]


def test_the_line_rule_alone_leaves_the_bridge_recoverable() -> None:
    published = line_rule_only(table(BRIDGE))
    hidden = {
        (i, j) for i, row in enumerate(published.cells) for j, c in enumerate(row) if c.suppressed
    }
    assert hidden == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}
    # The line rule holds everywhere...
    for i in range(4):
        assert sum(BRIDGE[i][j] for j in range(4) if (i, j) in hidden) >= 5
        assert sum(BRIDGE[j][i] for j in range(4) if (j, i) in hidden) >= 5
    # ...and the attacker reads the bridge exactly.
    assert attacker.ranges(published)[1 * 4 + 2] == (2.0, 2.0)


def test_the_audit_hides_more_until_the_bridge_is_safe() -> None:
    protected = protect(table(BRIDGE))
    assert protected.cells[1][2].suppressed
    assert any(cell.reason == A for row in protected.cells for cell in row)
    ranges = attacker.ranges(protected)
    assert ranges[1 * 4 + 2][1] - ranges[1 * 4 + 2][0] >= 5
    assert all(high - low >= 5 for low, high in ranges.values())


def test_the_same_table_always_gives_the_same_output() -> None:
    assert protect(table(BRIDGE)) == protect(table(BRIDGE))


def test_published_totals_are_the_true_totals() -> None:
    source = table([[20, 7, 9], [6, 1, 12], [30, 11, 13]])
    protected = protect(source)
    for true, cell in zip(
        (*source.row_totals, *source.column_totals, source.grand_total),
        (*protected.row_totals, *protected.column_totals, protected.grand_total),
        strict=True,
    ):
        assert cell.value in (None, true)
    assert protected.grand_total.value == 109


def test_k_is_a_keyword_and_changes_the_threshold() -> None:
    protected = protect(OneWayTable(labels=["a", "b", "c"], counts=[6, 12, 30]), k=10)
    assert reasons(protected.cells) == [P, C, None]
    assert protected.k == 10


@pytest.mark.parametrize("k", [1, 0, -5, True, 2.5])
def test_k_below_2_is_refused(k: int) -> None:
    with pytest.raises(ValueError, match="k must be"):
        protect(OneWayTable(labels=["a"], counts=[3]), k=k)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"row_labels": [], "column_labels": ["x"], "counts": []}, "at least one label"),
        ({"row_labels": ["a", "a"], "column_labels": ["x"], "counts": [[1], [2]]}, "unique"),
        ({"row_labels": ["a"], "column_labels": ["x", "y"], "counts": [[1]]}, "1 counts for 2"),
        ({"row_labels": ["a", "b"], "column_labels": ["x"], "counts": [[1]]}, "1 rows for 2"),
        ({"row_labels": ["a"], "column_labels": ["x"], "counts": [[-1]]}, "non-negative"),
        ({"row_labels": ["a"], "column_labels": ["x"], "counts": [[True]]}, "non-negative"),
        ({"row_labels": ["a"], "column_labels": ["x"], "counts": [[1.0]]}, "non-negative"),
        ({"row_labels": [1], "column_labels": ["x"], "counts": [[1]]}, "string"),
    ],
)
def test_bad_tables_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidTable, match=message):
        Table(**kwargs)  # type: ignore[arg-type]


def test_bad_one_way_tables_are_refused() -> None:
    with pytest.raises(InvalidTable, match="2 counts for 1"):
        OneWayTable(labels=["a"], counts=[1, 2])


def test_a_cell_has_a_value_or_a_reason() -> None:
    with pytest.raises(ValueError, match="either"):
        Cell(value=3, reason="primary")
    with pytest.raises(ValueError, match="either"):
        Cell(value=None)


def test_the_server_does_not_load_numpy_and_scipy_until_a_table_is_protected() -> None:
    """They cost about 50 MB in every worker; most workers never publish a table."""
    import subprocess
    import sys

    code = "import sys, backend.app; print('numpy' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]
