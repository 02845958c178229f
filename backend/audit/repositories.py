"""Every query on the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AuditEntry

__all__ = ["AuditRepository"]

# Any constant will do: it names the one lock that serialises appends on PostgreSQL.
_APPEND_LOCK_ID = 0x4C414E5445524E  # "LANTERN"


class AuditRepository:
    """Reads and appends audit entries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_for_append(self) -> None:
        """Serialise appends until the transaction ends.

        On PostgreSQL a transaction-scoped advisory lock; on SQLite every
        transaction already holds the write lock from ``BEGIN IMMEDIATE``.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK_ID}
            )

    async def last(self) -> AuditEntry | None:
        """The newest entry."""
        result = await self.session.execute(
            select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)
        )
        return result.scalar_one_or_none()

    def add(self, entry: AuditEntry) -> None:
        """Stage a new entry."""
        self.session.add(entry)

    async def page(self, *, after_seq: int, limit: int) -> list[AuditEntry]:
        """Entries after ``after_seq``, oldest first."""
        result = await self.session.execute(
            select(AuditEntry)
            .where(AuditEntry.seq > after_seq)
            .order_by(AuditEntry.seq)
            .limit(limit)
        )
        return list(result.scalars())

    async def stream(self, *, batch: int = 1000) -> AsyncIterator[AuditEntry]:
        """Every entry, oldest first, read in batches."""
        after = 0
        while True:
            rows = await self.page(after_seq=after, limit=batch)
            if not rows:
                return
            for row in rows:
                yield row
            after = rows[-1].seq
            self.session.expunge_all()
