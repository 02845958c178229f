"""Releases of statistics to an audience: new only when no subtraction can isolate anyone.

Every exit that publishes counts asks ``ReleaseLedger.serve``: it compares the
counts it would publish with every release its audience already received
(``backend.statistics.may_release``), records a new release when allowed, and
otherwise serves the latest one again, or nothing when the latest counted
someone who may no longer be counted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.engine import Database
from backend.db.models import StatisticsRelease
from backend.db.session import write_transaction
from backend.statistics import (
    DEFAULT_K,
    TOTAL_TERM,
    Cell,
    OneWayTable,
    ProtectedOneWayTable,
    ProtectedTable,
    Table,
    Terms,
    carried_over,
    hidden_terms,
    may_release,
    protect,
    protect_linked,
    table_terms,
    terms_of,
    withheld,
)
from backend.summary.repositories import ReleaseRepository

__all__ = ["Release", "ReleaseLedger", "ServedTables", "released_table", "released_tables"]


#: Given the terms to keep hidden, the terms the published figures hide.
Protection = Callable[[frozenset[str]], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Release:
    """The release an audience is served: the true tables to protect, and when it was made."""

    seq: int
    released_at: dt.datetime
    #: The caller's own JSON of the true tables, as it was when released.
    tables: bytes
    #: The terms its protection keeps hidden from earlier releases.
    kept: frozenset[str]


def _cases(cases: Collection[uuid.UUID] | None) -> str | None:
    return None if cases is None else msgspec.json.encode(sorted(map(str, cases))).decode()


class ReleaseLedger:
    """The one place that decides what counts an audience may receive next."""

    def __init__(self, session: AsyncSession) -> None:
        self.releases = ReleaseRepository(session)

    async def serve(
        self,
        audience: str,
        *,
        terms: Terms,
        tables: bytes,
        cases: Collection[uuid.UUID] | None,
        k: int = DEFAULT_K,
        protection: Protection | None = None,
    ) -> Release | None:
        """The release to serve ``audience`` now, recording a new one when it may be made.

        Args:
            audience: Who receives the figures (``operation:<id>``, ``investigation:<id>``).
            terms: The true counts that would be published now, by term.
            tables: The caller's JSON of the true tables those counts come from.
            cases: The ids of the cases counted now, or ``None`` if not tracked.
            k: The threshold.
            protection: Given the terms to keep hidden (hidden by an earlier
                release and unchanged since), the terms the published figures
                hide; ``None`` when the caller does not carry hidden terms over.

        Returns:
            A new release when ``terms`` differs from every earlier release by
            0 or at least ``k`` in every term; else the latest release while
            every case it counted is still counted; else ``None`` (withheld).
        """
        for _ in range(3):
            history = await self.releases.of_audience(audience)
            latest = history[-1] if history else None
            counted = _cases(cases)
            if (
                latest is not None
                and latest.cases == counted
                and msgspec.json.decode(latest.terms) == dict(terms)
            ):
                return _release(latest)
            earlier = [msgspec.json.decode(r.terms, type=dict[str, int]) for r in history]
            if may_release(terms, earlier, k=k):
                kept, hidden = frozenset[str](), frozenset[str]()
                if protection is not None:
                    kept = carried_over(
                        terms,
                        [
                            (t, msgspec.json.decode(r.hidden, type=list[str]))
                            for t, r in zip(earlier, history, strict=True)
                        ],
                    )
                    hidden = protection(kept)
                release = StatisticsRelease(
                    audience=audience,
                    seq=latest.seq + 1 if latest is not None else 1,
                    terms=msgspec.json.encode(dict(terms)).decode(),
                    tables=tables.decode(),
                    cases=counted,
                    kept=msgspec.json.encode(sorted(kept)).decode(),
                    hidden=msgspec.json.encode(sorted(hidden)).decode(),
                )
                if await self.releases.add(release):
                    return _release(release)
                continue  # another reader released first: compare with theirs too
            if latest is None or not _still_counted(latest, cases):
                return None
            return _release(latest)
        return None  # pragma: no cover - three readers releasing at once


def _still_counted(release: StatisticsRelease, cases: Collection[uuid.UUID] | None) -> bool:
    if release.cases is None or cases is None:
        return True
    now = {str(c) for c in cases}
    return all(c in now for c in msgspec.json.decode(release.cases, type=list[str]))


def _release(row: StatisticsRelease) -> Release:
    return Release(
        seq=row.seq,
        released_at=row.released_at,
        tables=row.tables.encode(),
        kept=frozenset(msgspec.json.decode(row.kept, type=list[str])),
    )


@dataclass(frozen=True, slots=True)
class ServedTables:
    """Linked one-way tables as an audience receives them now."""

    #: The release served, ``None`` when withheld.
    seq: int | None
    released_at: dt.datetime | None
    tables: list[tuple[str, ProtectedOneWayTable]]


#: One-way tables as released: ``(name, labels, counts)``, the true counts.
_TrueTables = list[tuple[str, list[str], list[int]]]


async def released_tables(
    db: Database,
    audience: str,
    tables: list[tuple[str, OneWayTable]],
    *,
    cases: Collection[uuid.UUID],
    k: int = DEFAULT_K,
) -> ServedTables:
    """One-way tables of the same people as ``audience`` may receive them now.

    For the operation summary. The ledger's row is written in its own short
    write transaction, so the route may read.

    Args:
        db: The database (the ledger writes in a transaction of its own).
        audience: Who receives them (``operation:<id>``).
        tables: The true tables now, every one with the same total.
        cases: The ids of the cases counted now.
        k: The threshold.

    Returns:
        The served release protected together (``protect_linked``), or, when
        no release may be served, ``tables``' labels with every count hidden.
    """

    def protection(keep: frozenset[str]) -> frozenset[str]:
        return hidden_terms(protect_linked(tables, k=k, keep=keep))

    async with write_transaction(db) as writer:
        release = await ReleaseLedger(writer).serve(
            audience,
            terms=terms_of(tables),
            tables=msgspec.json.encode([(n, t.labels, t.counts) for n, t in tables]),
            cases=cases,
            k=k,
            protection=protection,
        )
    if release is None:
        return ServedTables(seq=None, released_at=None, tables=withheld(tables, k=k))
    served = msgspec.json.decode(release.tables, type=_TrueTables)
    return ServedTables(
        seq=release.seq,
        released_at=release.released_at,
        tables=protect_linked(
            [(n, OneWayTable(labels=labels, counts=counts)) for n, labels, counts in served],
            k=k,
            keep=release.kept,
        ),
    )


class _TrueTable(msgspec.Struct, array_like=True):
    rows: list[str]
    columns: list[str]
    counts: list[list[int]]


async def released_table(
    db: Database,
    audience: str,
    table: Table | None,
    *,
    cases: Collection[uuid.UUID] | None = None,
    k: int = DEFAULT_K,
) -> ProtectedTable | None:
    """A two-way table as ``audience`` may receive it now: the release the ledger serves.

    For exits that protect one two-way table (the investigators' summary).
    The ledger's row is written in its own short write transaction, so the
    route may read.

    Args:
        db: The database (the ledger writes in a transaction of its own).
        audience: Who receives it (``investigation:<id>``).
        table: The true counts now, or ``None`` when nothing is counted.
        cases: The ids of the cases counted now; ``None`` if not tracked (then
            the latest release is never withheld).
        k: The threshold.

    Returns:
        The served release, protected; ``None`` when it counts nobody. When
        no release may be served, the latest release's labels with every
        count hidden (reason ``withheld``).
    """
    payload = msgspec.json.encode(
        _TrueTable(
            rows=list(table.row_labels) if table else [],
            columns=list(table.column_labels) if table else [],
            counts=[list(row) for row in table.counts] if table else [],
        )
    )
    async with write_transaction(db) as writer:
        ledger = ReleaseLedger(writer)
        terms = table_terms(table) if table is not None else {TOTAL_TERM: 0}
        release = await ledger.serve(audience, terms=terms, tables=payload, cases=cases, k=k)
        if release is None:
            latest = (await ledger.releases.of_audience(audience))[-1]
            return _withheld(msgspec.json.decode(latest.tables, type=_TrueTable), k=k)
    served = msgspec.json.decode(release.tables, type=_TrueTable)
    if not served.rows:
        return None
    return protect(
        Table(row_labels=served.rows, column_labels=served.columns, counts=served.counts), k=k
    )


def _withheld(table: _TrueTable, *, k: int) -> ProtectedTable:
    hidden = Cell(value=None, reason="withheld")
    return ProtectedTable(
        row_labels=tuple(table.rows),
        column_labels=tuple(table.columns),
        cells=tuple((hidden,) * len(table.columns) for _ in table.rows),
        row_totals=(hidden,) * len(table.rows),
        column_totals=(hidden,) * len(table.columns),
        grand_total=hidden,
        k=k,
    )
