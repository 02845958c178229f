"""Every query on the audit log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.db.models import AuditEntry, DenialCounter
from backend.db.statements import dialect_insert

__all__ = [
    "AuditFilter",
    "AuditRepository",
    "DenialCounterRepository",
    "lock_and_read_head",
]

# Any constant will do: it names the one lock that serialises appends on PostgreSQL.
APPEND_LOCK_ID = 0x4C414E5445524E  # "LANTERN"


def lock_and_read_head(session: Session) -> tuple[int, bytes] | None:
    """Take the append lock for the rest of the transaction; the newest ``seq`` and ``mac``.

    Synchronous: it runs inside the session's ``before_commit`` hook. On
    PostgreSQL a transaction-scoped advisory lock; on SQLite the writer
    already holds the database's write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK_ID})
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.mac).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (int(row[0]), bytes(row[1])) if row else None


def _aware(moment: dt.datetime) -> dt.datetime:
    """A time without a zone is read as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """Which entries an admin asks for; every field left ``None`` matches all."""

    actor_id: uuid.UUID | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The SQL conditions of this filter."""
        found: list[ColumnElement[bool]] = []
        if self.actor_id is not None:
            found.append(AuditEntry.actor_id == self.actor_id)
        if self.action is not None:
            found.append(AuditEntry.action == self.action)
        if self.object_type is not None:
            found.append(AuditEntry.object_type == self.object_type)
        if self.object_id is not None:
            found.append(AuditEntry.object_id == self.object_id)
        if self.since is not None:
            found.append(AuditEntry.at >= _aware(self.since))
        if self.until is not None:
            found.append(AuditEntry.at < _aware(self.until))
        return found


class AuditRepository:
    """Reads and appends audit entries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, *, after_seq: int, limit: int, filters: AuditFilter | None = None
    ) -> list[AuditEntry]:
        """Entries after ``after_seq`` that match ``filters``, oldest first."""
        query = select(AuditEntry).where(AuditEntry.seq > after_seq)
        for condition in (filters or AuditFilter()).conditions():
            query = query.where(condition)
        result = await self.session.execute(query.order_by(AuditEntry.seq).limit(limit))
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


class DenialCounterRepository:
    """Counts of anonymous denials per window."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self, *, window_start: dt.datetime, action: str, reason: str) -> int:
        """Count one more denial of this kind in this window; the count so far."""
        statement = (
            dialect_insert(self.session)(DenialCounter)
            .values(window_start=window_start, action=action, reason=reason, count=1)
            .on_conflict_do_update(
                index_elements=[
                    DenialCounter.window_start,
                    DenialCounter.action,
                    DenialCounter.reason,
                ],
                set_={"count": DenialCounter.count + 1},
            )
            .returning(DenialCounter.count)
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def prune(self, *, before: dt.datetime) -> None:
        """Forget counts of windows that started before ``before``."""
        await self.session.execute(delete(DenialCounter).where(DenialCounter.window_start < before))
