"""``protect``: statistical disclosure control for tables of counts of people."""

from __future__ import annotations

from typing import overload

from backend.statistics._engine import Line, suppress
from backend.statistics._model import (
    Cell,
    OneWayTable,
    ProtectedOneWayTable,
    ProtectedTable,
    Reason,
    Table,
)

__all__ = ["DEFAULT_K", "protect", "table_lines"]

#: The smallest count that may be published, and the narrowest range an
#: attacker may be left with for a hidden count.
DEFAULT_K = 5


def table_lines(table: Table | OneWayTable) -> tuple[list[int], list[Line]]:
    """Flatten a table into terms and the equations its margins publish.

    Two-way, for ``r`` rows and ``c`` columns: the counts row by row (index
    ``i * c + j``), then the row totals, the column totals and the grand total;
    one line per row, per column, and the grand total over the row totals and
    over the column totals. One-way: the counts, then the total; one line.

    Returns:
        The values of the terms, and the lines.
    """
    if isinstance(table, OneWayTable):
        n = len(table.counts)
        return [*table.counts, table.total], [Line(n, tuple(range(n)))]
    r, c = len(table.row_labels), len(table.column_labels)
    values = [v for row in table.counts for v in row]
    values += [*table.row_totals, *table.column_totals, table.grand_total]
    row_total, column_total, grand = r * c, r * c + r, r * c + r + c
    lines = [Line(row_total + i, tuple(i * c + j for j in range(c))) for i in range(r)]
    lines += [Line(column_total + j, tuple(i * c + j for i in range(r))) for j in range(c)]
    lines.append(Line(grand, tuple(range(row_total, row_total + r))))
    lines.append(Line(grand, tuple(range(column_total, column_total + c))))
    return values, lines


def _cell(index: int, values: list[int], hidden: dict[int, Reason]) -> Cell:
    if index in hidden:
        return Cell(value=None, reason=hidden[index])
    return Cell(value=values[index])


@overload
def protect(table: Table, *, k: int = DEFAULT_K) -> ProtectedTable: ...
@overload
def protect(table: OneWayTable, *, k: int = DEFAULT_K) -> ProtectedOneWayTable: ...
def protect(
    table: Table | OneWayTable, *, k: int = DEFAULT_K
) -> ProtectedTable | ProtectedOneWayTable:
    """Suppress a table's counts so that no hidden count can be narrowed below ``k``.

    Three passes, the last two repeated until nothing changes:

    1. **Primary.** Every count from 1 to ``k - 1`` is hidden, totals
       included. Zero is not sensitive and is always shown.
    2. **Line rule** (complementary suppression). In every line (a row, a
       column, or the row or column totals with the grand total), either no
       term is hidden or at least two are; and where the line's total is
       published, the hidden parts sum to 0 or to at least ``k``. The smallest
       non-zero visible term of a failing line is hidden first (a part before a
       total of the same value, then the earlier one), so the same table always
       gives the same output.
    3. **Audit.** For each hidden term, a linear programme minimises and
       maximises it subject to everything published: each line's visible terms
       and its equation, every hidden term at least 1 (zeros are always shown,
       so the attacker knows a hidden term is not 0). If some hidden term's
       range ``max - min`` is below ``k`` (an exact recovery is a range of 0),
       the smallest non-zero visible term of a line through it is hidden, and
       the line rule and the audit run again.

    **Suppressed margins are unknowns too.** A hidden row, column or grand
    total is a variable of the programme exactly like a hidden count, bound
    only by the equations it appears in: its row or column (``total = sum of
    parts``) and the line of totals under the grand total. It is audited like
    any other hidden term, and a hidden total is never treated as known when
    another term's range is computed. A line whose total is hidden tells the
    attacker only a difference, so the line rule's sum condition is not
    applied to it; the audit judges what it leaves.

    The table's equations form a network (a transportation problem with its
    margins), so the programme's optima are integers: the ranges are those an
    attacker solving over whole numbers would find.

    Args:
        table: The counts; a ``Table`` (two-way) or a ``OneWayTable``.
        k: The threshold, at least 2.

    Returns:
        The same shape with every count and total either shown or hidden with
        its reason. Never publish the reasons (they would mark counts below
        ``k``); ``to_csv`` leaves them out.

    Raises:
        ValueError: ``k`` is below 2.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"k must be an integer of at least 2, got {k!r}")
    values, lines = table_lines(table)
    hidden = suppress(values, lines, k=k)
    cells = [_cell(i, values, hidden) for i in range(len(values))]
    if isinstance(table, OneWayTable):
        return ProtectedOneWayTable(
            labels=table.labels, cells=tuple(cells[:-1]), total=cells[-1], k=k
        )
    r, c = len(table.row_labels), len(table.column_labels)
    return ProtectedTable(
        row_labels=table.row_labels,
        column_labels=table.column_labels,
        cells=tuple(tuple(cells[i * c : (i + 1) * c]) for i in range(r)),
        row_totals=tuple(cells[r * c : r * c + r]),
        column_totals=tuple(cells[r * c + r : r * c + r + c]),
        grand_total=cells[-1],
        k=k,
    )
