"""What an investigation reached by its own work: the only cases its exports and aggregates read.

A lookup reaches the cases it lists (those naming the address, and those
whose partial recollection it matched); a search reaches the cases that named
the addresses it found; a cluster expansion reaches every case it shows.
Exports, the summary, hubs, the cluster list and disclosure requests read
only the visible rows of reached cases, so no investigation holds the whole
index: what two investigations can match, case against case, is only what
both reached.

Investigators' queries run in read transactions: the reached cases wait in
the session (like its audit events) and are written, with the audit, in the
write transaction that follows the read, or before commit when the session
writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.db.outbox import CommitStage
from backend.db.session import AFTER_READ, READ_ONLY
from backend.investigations.repositories import save_reach

__all__ = ["REACH_BUFFER", "REACH_STAGE", "note_reach"]

#: ``session.info`` key of the cases reached in a transaction (carried past a read).
REACH_BUFFER = AFTER_READ + "investigations.reach"


def note_reach(
    session: AsyncSession, investigation_id: uuid.UUID, cases: Iterable[uuid.UUID]
) -> None:
    """Note cases that an investigation's query showed."""
    buffer: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = session.info.setdefault(
        REACH_BUFFER, {}
    )
    now = utcnow()
    for case_id in cases:
        buffer.setdefault(
            (investigation_id, case_id),
            {"investigation_id": investigation_id, "case_id": case_id, "reached_at": now},
        )


def _write_reach(session: Session) -> None:
    """Write the reached cases as the writing transaction's last statements."""
    if session.info.get(READ_ONLY):
        return  # a read hands them on with its audit
    buffer = session.info.pop(REACH_BUFFER, None)
    if buffer:
        # In key order: concurrent writers of overlapping rows then wait, never deadlock.
        save_reach(session, [buffer[k] for k in sorted(buffer)])


def _discard_reach(session: Session) -> None:
    """A failed request reached nothing."""
    if not session.info.get(READ_ONLY):
        session.info.pop(REACH_BUFFER, None)


#: Writes what a transaction's queries reached (installed at start-up by ``backend.app``).
REACH_STAGE = CommitStage(name="investigation reach", write=_write_reach, discard=_discard_reach)
