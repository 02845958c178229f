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
from collections.abc import Collection
from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import StatisticsRelease
from backend.statistics import DEFAULT_K, Terms, may_release
from backend.summary.repositories import ReleaseRepository

__all__ = ["Release", "ReleaseLedger"]


@dataclass(frozen=True, slots=True)
class Release:
    """The release an audience is served: the true tables to protect, and when it was made."""

    seq: int
    released_at: dt.datetime
    #: The caller's own JSON of the true tables, as it was when released.
    tables: bytes


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
    ) -> Release | None:
        """The release to serve ``audience`` now, recording a new one when it may be made.

        Args:
            audience: Who receives the figures (``operation:<id>``, ``investigation:<id>``).
            terms: The true counts that would be published now, by term.
            tables: The caller's JSON of the true tables those counts come from.
            cases: The ids of the cases counted now, or ``None`` if not tracked.
            k: The threshold.

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
                release = StatisticsRelease(
                    audience=audience,
                    seq=latest.seq + 1 if latest is not None else 1,
                    terms=msgspec.json.encode(dict(terms)).decode(),
                    tables=tables.decode(),
                    cases=counted,
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
    return Release(seq=row.seq, released_at=row.released_at, tables=row.tables.encode())
