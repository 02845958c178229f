"""Tables of counts as they come in, and as they may be published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "REASONS",
    "Cell",
    "InvalidTable",
    "OneWayTable",
    "ProtectedOneWayTable",
    "ProtectedTable",
    "Reason",
    "Table",
]

#: Why a cell is hidden. ``primary``: its count is between 1 and k - 1.
#: ``complementary``: the line rule needed a partner for another hidden cell.
#: ``audit``: the attacker's linear programme could otherwise narrow a hidden
#: cell to a range shorter than k. ``carried``: hidden in an earlier release
#: to the same audience and unchanged since. ``withheld``: the whole release is
#: held back (see ``backend.statistics.release``). Reasons are for the audit
#: trail and tests only: a reader who saw them would know a ``primary`` cell is
#: below k.
Reason = Literal["primary", "complementary", "audit", "carried", "withheld"]
REASONS: tuple[Reason, ...] = get_args(Reason)


class InvalidTable(ValueError):
    """A table that cannot be protected as given (shape, labels or counts)."""


def _labels(name: str, labels: Sequence[str]) -> tuple[str, ...]:
    out = tuple(labels)
    if not out:
        raise InvalidTable(f"{name}: at least one label is needed")
    if any(not isinstance(label, str) for label in out):
        raise InvalidTable(f"{name}: every label must be a string")
    if len(set(out)) != len(out):
        raise InvalidTable(f"{name}: labels must be unique")
    return out


def _counts(name: str, counts: Sequence[int], width: int) -> tuple[int, ...]:
    out = tuple(counts)
    if len(out) != width:
        raise InvalidTable(f"{name}: {len(out)} counts for {width} labels")
    for count in out:
        # bool is an int; a True among counts is a bug upstream, not a 1.
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidTable(f"{name}: counts must be non-negative integers, got {count!r}")
    return out


@dataclass(frozen=True, slots=True, init=False)
class Table:
    """A two-way table of counts with its row, column and grand totals.

    The totals are the sums of the counts: give every case one row and one
    column (add a "not recorded" label rather than leaving cases out), so that
    the published margins are the true totals.

    Attributes:
        row_labels: One label per row, unique.
        column_labels: One label per column, unique.
        counts: ``counts[row][column]``, non-negative integers.
    """

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __init__(
        self,
        *,
        row_labels: Sequence[str],
        column_labels: Sequence[str],
        counts: Sequence[Sequence[int]],
    ) -> None:
        rows = _labels("row_labels", row_labels)
        columns = _labels("column_labels", column_labels)
        grid = tuple(counts)
        if len(grid) != len(rows):
            raise InvalidTable(f"counts: {len(grid)} rows for {len(rows)} row labels")
        object.__setattr__(self, "row_labels", rows)
        object.__setattr__(self, "column_labels", columns)
        object.__setattr__(
            self,
            "counts",
            tuple(_counts(f"counts[{i}]", row, len(columns)) for i, row in enumerate(grid)),
        )

    @property
    def row_totals(self) -> tuple[int, ...]:
        """The sum of each row."""
        return tuple(sum(row) for row in self.counts)

    @property
    def column_totals(self) -> tuple[int, ...]:
        """The sum of each column."""
        return tuple(sum(column) for column in zip(*self.counts, strict=True))

    @property
    def grand_total(self) -> int:
        """The sum of every count."""
        return sum(self.row_totals)


@dataclass(frozen=True, slots=True, init=False)
class OneWayTable:
    """One line of counts and their total.

    Attributes:
        labels: One label per count, unique.
        counts: Non-negative integers, one per label.
    """

    labels: tuple[str, ...]
    counts: tuple[int, ...]

    def __init__(self, *, labels: Sequence[str], counts: Sequence[int]) -> None:
        names = _labels("labels", labels)
        object.__setattr__(self, "labels", names)
        object.__setattr__(self, "counts", _counts("counts", counts, len(names)))

    @property
    def total(self) -> int:
        """The sum of the counts."""
        return sum(self.counts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One published position: a count, or a hidden one with the reason it is hidden.

    Attributes:
        value: The count, or ``None`` when it is suppressed.
        reason: Why it is suppressed, or ``None`` when it is shown.
    """

    value: int | None
    reason: Reason | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("a cell has either a value or a reason, not both")

    @property
    def suppressed(self) -> bool:
        """Whether the count is hidden."""
        return self.value is None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectedTable:
    """A two-way table safe to publish: every cell and margin shown or suppressed.

    Attributes:
        row_labels: As in the input table.
        column_labels: As in the input table.
        cells: ``cells[row][column]``.
        row_totals: One per row.
        column_totals: One per column.
        grand_total: The total of the table.
        k: The threshold the table was protected with.
    """

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    grand_total: Cell
    k: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectedOneWayTable:
    """A one-way table safe to publish.

    Attributes:
        labels: As in the input table.
        cells: One per label.
        total: The total of the line.
        k: The threshold the table was protected with.
    """

    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    total: Cell
    k: int
