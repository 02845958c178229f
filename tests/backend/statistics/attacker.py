"""The attacker, written again for the tests: an oracle that shares no code with the package.

Every position of the published table (counts and totals) is a variable; a
published one is fixed by its bounds, a hidden one is at least 1 (zeros are
always shown) and unbounded above. The equations are built from the shape
alone. Solved with HiGHS's dual simplex (the package uses the default choice).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linprog

from backend.statistics import Cell, ProtectedOneWayTable, ProtectedTable


def positions(table: ProtectedTable | ProtectedOneWayTable) -> list[Cell]:
    """Every published position: counts row by row, then the totals."""
    if isinstance(table, ProtectedOneWayTable):
        return [*table.cells, table.total]
    return [
        *(cell for row in table.cells for cell in row),
        *table.row_totals,
        *table.column_totals,
        table.grand_total,
    ]


def equations(table: ProtectedTable | ProtectedOneWayTable) -> np.ndarray:
    """One row per equation ``sum(parts) - total = 0`` over ``positions(table)``."""
    if isinstance(table, ProtectedOneWayTable):
        n = len(table.cells)
        return np.array([[1.0] * n + [-1.0]])
    r, c = len(table.row_labels), len(table.column_labels)
    size = r * c + r + c + 1
    rows = []

    def equation(parts: list[int], total: int) -> None:
        row = np.zeros(size)
        row[parts] = 1.0
        row[total] = -1.0
        rows.append(row)

    for i in range(r):
        equation([i * c + j for j in range(c)], r * c + i)
    for j in range(c):
        equation([i * c + j for i in range(r)], r * c + r + j)
    equation([r * c + i for i in range(r)], size - 1)
    equation([r * c + r + j for j in range(c)], size - 1)
    return np.array(rows)


def _solve(c: np.ndarray, a: np.ndarray, bounds: list[tuple[float, float | None]]) -> float:
    for options in ({}, {"presolve": False}):
        result = linprog(
            c, A_eq=a, b_eq=np.zeros(len(a)), bounds=bounds, method="highs-ds", options=options
        )
        if result.status == 0:
            return float(result.fun)
        if result.status == 3:
            return -math.inf
    raise AssertionError(f"the oracle's programme failed: {result.message}")


def ranges(table: ProtectedTable | ProtectedOneWayTable) -> dict[int, tuple[float, float]]:
    """The attacker's range for each hidden position (``math.inf`` when unbounded)."""
    cells = positions(table)
    a = equations(table)
    bounds: list[tuple[float, float | None]] = [
        (1.0, None) if cell.value is None else (float(cell.value), float(cell.value))
        for cell in cells
    ]
    out = {}
    for index, cell in enumerate(cells):
        if cell.value is not None:
            continue
        c = np.zeros(len(cells))
        c[index] = 1.0
        low = _solve(c, a, bounds)
        high = -_solve(-c, a, bounds)
        out[index] = (low, high)
    return out


def linked_ranges(
    tables: list[ProtectedOneWayTable],
) -> dict[tuple[int, int], tuple[float, float]]:
    """Ranges of hidden counts of one-way tables of the same people, solved together.

    One variable per count of every table and one for the total they share;
    one equation per table. Keys are ``(table, label)``; ``(-1, -1)`` is the total.
    """
    cells: list[Cell] = [c for table in tables for c in table.cells]
    keys = [(t, i) for t, table in enumerate(tables) for i in range(len(table.cells))]
    cells.append(tables[0].total)
    keys.append((-1, -1))
    rows = []
    start = 0
    for table in tables:
        row = np.zeros(len(cells))
        row[start : start + len(table.cells)] = 1.0
        row[-1] = -1.0
        rows.append(row)
        start += len(table.cells)
    a = np.array(rows)
    bounds: list[tuple[float, float | None]] = [
        (1.0, None) if cell.value is None else (float(cell.value), float(cell.value))
        for cell in cells
    ]
    out = {}
    for index, cell in enumerate(cells):
        if cell.value is not None:
            continue
        c = np.zeros(len(cells))
        c[index] = 1.0
        out[keys[index]] = (_solve(c, a, bounds), -_solve(-c, a, bounds))
    return out
