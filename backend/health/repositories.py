"""What is waiting for a person or a loop: counts for readiness and metrics (no identifiers)."""

from __future__ import annotations

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import PersonEncoding
from backend.db.models.records import Conflict, Quarantined

__all__ = ["Backlog", "BacklogRepository"]


class Backlog(msgspec.Struct, kw_only=True):
    """Counts only: what waits for a coordinator, and what waits for the matching loop."""

    conflicts: dict[str, int]
    quarantine: dict[str, int]
    matching_pending: int


class BacklogRepository:
    """Counting queries, each one aggregate over a whole table."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def backlog(self) -> Backlog:
        """Conflicts and quarantined mutations by status, and encodings not yet compared."""
        conflicts = await self.session.execute(
            select(Conflict.status, func.count()).group_by(Conflict.status)
        )
        quarantine = await self.session.execute(
            select(Quarantined.status, func.count()).group_by(Quarantined.status)
        )
        pending = await self.session.scalar(
            select(func.count()).select_from(PersonEncoding).where(PersonEncoding.pending)
        )
        return Backlog(
            conflicts={str(s): int(n) for s, n in conflicts.all()},
            quarantine={str(s): int(n) for s, n in quarantine.all()},
            matching_pending=int(pending or 0),
        )
