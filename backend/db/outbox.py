"""What a transaction hands on: its commit stages, and the projectors of synced records.

**Commit stages.** Work buffered during a transaction (the linkage index's
staged rows, the change log's drafts, the audit log's events) is written as
the transaction's last statements, in one fixed order, by the stages that
app start-up installs with :func:`install` (``backend.app.build_runtime``).
One ``before_commit`` listener runs them in that order; one ``after_rollback``
listener lets each forget its buffer. Each buffer is rewound by a savepoint
that fails (``backend.db.session.savepoint``).

**Projectors.**

The record store (``backend/sync/records.py``) writes synced records and knows
none of the features that keep a view of them (the linkage index, person
encodings for duplicate matching). Each such feature offers a projector; the
app's start-up (``backend.app.build_runtime``) lists them, in order, on the
runtime, and the store tells each one about every record it writes, inside
the same transaction. Nothing is registered by importing a module.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.crypto.vault import DataKey
from backend.db.models import Record

__all__ = ["CommitStage", "Projector", "RecordWritten", "install", "installed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordWritten:
    """One record as just written (created, revised or made a tombstone).

    ``values`` are the record's fields, whole, when the writer holds them
    (``None`` for a tombstone); ``key`` is the case's data key when it is held.
    """

    record: Record
    op: Literal["upsert", "delete"]
    values: Mapping[str, Any] | None
    key: DataKey | None

    @property
    def case_id(self) -> uuid.UUID:
        """The case the record belongs to."""
        return self.record.case_id


class Projector(Protocol):
    """A feature's view of synced records, kept in step inside the writing transaction."""

    #: A name for logs and the docs.
    name: str

    async def written(self, session: AsyncSession, event: RecordWritten) -> None:
        """Note what ``event`` changes in this view (staged or written before commit)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommitStage:
    """Buffered work one feature writes as its transaction's last statements."""

    #: A name for logs and the docs.
    name: str
    #: Write what the transaction buffered (runs inside ``before_commit``; synchronous).
    write: Callable[[Session], None]
    #: Forget the buffer of a transaction that rolled back.
    discard: Callable[[Session], None]


_stages: list[CommitStage] = []


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the stages run at the real commit
    for stage in _stages:
        stage.write(session)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rewinds its own buffers
    for stage in _stages:
        stage.discard(session)


def install(stages: Sequence[CommitStage]) -> None:
    """Make ``stages`` the commit stages of every session, run in this order.

    Called at start-up; calling it again replaces the stages (the listeners
    are registered once).
    """
    _stages[:] = list(stages)
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def installed() -> list[str]:
    """The names of the installed stages, in the order they run."""
    return [stage.name for stage in _stages]
