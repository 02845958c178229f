"""What one audience may receive over time: linked tables and the release rule.

Two protections that ``protect`` alone, one table at one moment, cannot give:

* **Linked tables.** Tables that each partition the same people share their
  total. ``protect_linked`` protects them as one system of equations with one
  total, so a total hidden in one table is hidden in all, and no table's
  margins can be used to solve another's hidden counts.
* **Releases over time.** ``may_release`` decides whether new counts may be
  published to an audience that already received earlier releases: only if
  every count (every label of every table, and the total) either did not
  change or changed by at least ``k`` against *every* earlier release. Then
  subtracting any two releases never isolates fewer than ``k`` people in any
  count; otherwise the audience keeps the release it has.

Pure, like the rest of the package: the ledger of releases lives with its
caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from backend.statistics._engine import Line, suppress
from backend.statistics._model import (
    Cell,
    InvalidTable,
    OneWayTable,
    ProtectedOneWayTable,
    Table,
)
from backend.statistics.protect import DEFAULT_K

__all__ = [
    "TOTAL_TERM",
    "Terms",
    "carried_over",
    "hidden_terms",
    "may_release",
    "protect_linked",
    "table_terms",
    "terms_of",
    "withheld",
]

#: Every count of a set of linked tables by name: ``"<table>/<label>"``, and
#: ``TOTAL_TERM`` for the total they share.
Terms = Mapping[str, int]
#: The name of the shared total among ``Terms``.
TOTAL_TERM = "total"


def _checked(tables: Sequence[tuple[str, OneWayTable]]) -> int:
    if not tables:
        raise InvalidTable("tables: at least one table is needed")
    names = [name for name, _ in tables]
    if len(set(names)) != len(names):
        raise InvalidTable("tables: names must be unique")
    totals = {table.total for _, table in tables}
    if len(totals) != 1:
        raise InvalidTable("tables: linked tables must count the same people (one total)")
    return totals.pop()


def terms_of(tables: Sequence[tuple[str, OneWayTable]]) -> dict[str, int]:
    """The counts of linked tables by name, and their shared total.

    Raises:
        InvalidTable: no table, a name twice, or tables with different totals.
    """
    terms = {TOTAL_TERM: _checked(tables)}
    for name, table in tables:
        for label, count in zip(table.labels, table.counts, strict=True):
            terms[f"{name}/{label}"] = count
    return terms


def table_terms(table: Table) -> dict[str, int]:
    """The counts of a two-way table by name: ``"<row>/<column>"``, its margins and total.

    A row's total is ``"<row>/*"``, a column's ``"*/<column>"``, the grand
    total ``TOTAL_TERM``; a label of the same name as a margin's is not
    confused with it (the separator is part of the name).
    """
    terms = {TOTAL_TERM: table.grand_total}
    for row, counts, row_total in zip(
        table.row_labels, table.counts, table.row_totals, strict=True
    ):
        terms[f"{row}/*"] = row_total
        for column, count in zip(table.column_labels, counts, strict=True):
            terms[f"{row}/{column}"] = count
    for column, column_total in zip(table.column_labels, table.column_totals, strict=True):
        terms[f"*/{column}"] = column_total
    return terms


def protect_linked(
    tables: Sequence[tuple[str, OneWayTable]],
    *,
    k: int = DEFAULT_K,
    keep: Collection[str] = (),
) -> list[tuple[str, ProtectedOneWayTable]]:
    """Protect one-way tables of the same people together, as one system with one total.

    Each table is a partition of the same people (``total = sum of its
    counts``), so the attacker's linear programme holds every table's line at
    once, with the total as one term: hidden in one table means hidden in all,
    and a count of one table is audited against the margins of all the others.
    The rules are those of ``protect`` (primary, the line rule, the audit).

    Args:
        tables: ``(name, table)`` pairs, every table with the same total.
        k: The threshold, at least 2.
        keep: Terms (named as by ``terms_of``) to hide besides the small ones,
            reason ``carried``: those an earlier release to the same audience
            hid and that have not changed since (``carried_over``). A zero
            is never hidden.

    Returns:
        The same pairs, protected; every table's ``total`` is the same cell.

    Raises:
        InvalidTable: no table, a name twice, or tables with different totals.
        ValueError: ``k`` is below 2.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"k must be an integer of at least 2, got {k!r}")
    total = _checked(tables)
    values: list[int] = []
    spans: list[tuple[int, int]] = []
    for _, table in tables:
        spans.append((len(values), len(values) + len(table.counts)))
        values.extend(table.counts)
    total_index = len(values)
    values.append(total)
    lines = [Line(total_index, tuple(range(start, end))) for start, end in spans]
    names = [f"{name}/{label}" for name, table in tables for label in table.labels]
    index = {term: i for i, term in enumerate([*names, TOTAL_TERM])}
    hidden = suppress(values, lines, k=k, keep=[index[t] for t in keep if t in index])
    cells = [
        Cell(value=None, reason=hidden[i]) if i in hidden else Cell(value=v)
        for i, v in enumerate(values)
    ]
    return [
        (
            name,
            ProtectedOneWayTable(
                labels=table.labels,
                cells=tuple(cells[start:end]),
                total=cells[total_index],
                k=k,
            ),
        )
        for (name, table), (start, end) in zip(tables, spans, strict=True)
    ]


def may_release(current: Terms, released: Iterable[Terms], *, k: int = DEFAULT_K) -> bool:
    """Whether ``current`` may be published to an audience that received ``released``.

    Yes when every term (a term missing on one side counts as 0) differs from
    the same term of every earlier release by 0 or by at least ``k``. Checked
    against every earlier release, not only the last: two changes of +9 and
    -5 are each allowed, but the first and third release would differ by 4.

    Args:
        current: The counts that would be published, by term.
        released: The counts of every release the audience already received.
        k: The threshold.

    Returns:
        ``True`` when publishing ``current`` lets no subtraction of two
        releases isolate fewer than ``k`` people in any term.
    """
    for earlier in released:
        for term in current.keys() | earlier.keys():
            moved = abs(current.get(term, 0) - earlier.get(term, 0))
            if 0 < moved < k:
                return False
    return True


def withheld(
    tables: Sequence[tuple[str, OneWayTable]], *, k: int = DEFAULT_K
) -> list[tuple[str, ProtectedOneWayTable]]:
    """The tables' shape with every count and total hidden (reason ``withheld``).

    What an audience receives when no release may be served: its latest
    counted someone who no longer may be counted, and the current counts may
    not be released yet (``may_release``).
    """
    hidden = Cell(value=None, reason="withheld")
    return [
        (
            name,
            ProtectedOneWayTable(
                labels=table.labels, cells=(hidden,) * len(table.labels), total=hidden, k=k
            ),
        )
        for name, table in tables
    ]


def hidden_terms(tables: Sequence[tuple[str, ProtectedOneWayTable]]) -> frozenset[str]:
    """The terms (named as by ``terms_of``) that protected linked tables hide."""
    hidden = {
        f"{name}/{label}"
        for name, table in tables
        for label, cell in zip(table.labels, table.cells, strict=True)
        if cell.suppressed
    }
    if tables and tables[0][1].total.suppressed:
        hidden.add(TOTAL_TERM)
    return frozenset(hidden)


def carried_over(
    current: Terms, released: Iterable[tuple[Terms, Collection[str]]]
) -> frozenset[str]:
    """The terms to keep hidden: hidden by an earlier release and unchanged since.

    A count that a release hid and a later one shows unchanged would give the
    earlier release's hidden value away (and with it its partner's): with
    five people added, all of one nationality, ``KH 12`` shown in the second
    release recovers ``TH 3`` from the first one's ``TH + KH = 15``.

    Args:
        current: The counts about to be released.
        released: Each earlier release's counts and the terms it hid.
    """
    keep: set[str] = set()
    for terms, hidden in released:
        keep.update(t for t in hidden if current.get(t, 0) == terms.get(t, 0))
    return frozenset(keep)
