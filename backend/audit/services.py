"""Appending to the audit log and verifying its chain.

Each entry's MAC is HMAC-SHA-256, under the audit key derived from the master
key named in the entry, over the previous entry's MAC followed by a canonical
encoding of this entry. Changing, inserting or deleting any entry breaks the
link from that entry on; ``verify`` names the first broken one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.audit.repositories import (
    AuditFilter,
    AuditRepository,
    DenialCounterRepository,
    lock_and_read_head,
)
from backend.crypto.keys import KeyFileError, KeyRing
from backend.db.base import utcnow
from backend.db.models import AuditEntry
from backend.db.outbox import CommitStage
from backend.db.session import AUDIT_BUFFER, READ_ONLY
from backend.errors import NotFound, SideEffect
from backend.observability import current_request_id

__all__ = [
    "AUDIT_STAGE",
    "DENIAL_WINDOW",
    "AuditBuffer",
    "AuditEvent",
    "AuditLog",
    "Verification",
    "anonymous_denial",
    "audit_side_effect",
    "refused_as_not_found",
]

GENESIS_MAC = bytes(32)

Outcome = Literal["success", "failure", "denied"]
DetailValue = str | int | bool | None


class AuditEvent(msgspec.Struct, kw_only=True, frozen=True):
    """What happened, by whom, to what. Never holds case content or secrets."""

    action: str
    outcome: Outcome = "success"
    actor_id: uuid.UUID | None = None
    actor_role: str | None = None
    device_id: uuid.UUID | None = None
    object_type: str | None = None
    object_id: str | None = None
    detail: dict[str, DetailValue] = msgspec.field(default_factory=dict)


class Verification(msgspec.Struct, kw_only=True):
    """The result of walking the whole chain."""

    ok: bool
    entries_checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    head_seq: int | None = None
    head_mac: str | None = None


def _canonical(entry: AuditEntry) -> bytes:
    fields = [
        entry.seq,
        str(entry.id),
        entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        entry.action,
        entry.outcome,
        str(entry.actor_id) if entry.actor_id else None,
        entry.actor_role,
        str(entry.device_id) if entry.device_id else None,
        entry.object_type,
        entry.object_id,
        entry.request_id,
        entry.detail,
        entry.key_id,
    ]
    return msgspec.json.encode(fields)


def _mac(key: bytes, previous: bytes, entry: AuditEntry) -> bytes:
    return hmac.new(key, previous + _canonical(entry), hashlib.sha256).digest()


class AuditBuffer:
    """The events a transaction recorded, waiting to be sealed at its commit."""

    __slots__ = ("events", "keyring")

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring
        #: Each event with the id of the request that recorded it.
        self.events: list[tuple[AuditEvent, str | None]] = []

    def mark(self) -> int:
        """How many events are buffered (a savepoint's starting point)."""
        return len(self.events)

    def rewind(self, mark: int) -> None:
        """Forget the events a rolled-back savepoint recorded."""
        del self.events[mark:]


def _build_entry(item: AuditEvent, *, request_id: str | None, seq: int, key_id: str) -> AuditEntry:
    return AuditEntry(
        seq=seq,
        id=uuid.uuid4(),
        at=utcnow(),
        action=item.action,
        outcome=item.outcome,
        actor_id=item.actor_id,
        actor_role=item.actor_role,
        device_id=item.device_id,
        object_type=item.object_type,
        object_id=item.object_id,
        request_id=request_id,
        detail=msgspec.json.encode(item.detail, order="sorted").decode(),
        key_id=key_id,
    )


def _seal(session: Session) -> None:
    """Append and chain a transaction's buffered events, as its last statements.

    The append lock (PostgreSQL) is taken here, just before commit, and held
    only until the commit: a request never serialises the server while it works.
    """
    buffered: AuditBuffer | None = session.info.get(AUDIT_BUFFER)
    if buffered is None or not buffered.events or session.info.get(READ_ONLY):
        return
    session.info.pop(AUDIT_BUFFER)
    seq, previous = lock_and_read_head(session) or (0, GENESIS_MAC)
    keyring = buffered.keyring
    key = keyring.derive("audit-chain")
    for item, request_id in buffered.events:
        seq += 1
        entry = _build_entry(item, request_id=request_id, seq=seq, key_id=keyring.active_id)
        entry.mac = _mac(key, previous, entry)
        previous = entry.mac
        session.add(entry)


def _discard(session: Session) -> None:
    """A rolled-back transaction did nothing: its events are not appended.

    A savepoint's rollback is handled by the savepoint itself (it rewinds the buffer).
    """
    session.info.pop(AUDIT_BUFFER, None)


#: The audit log's commit stage (installed at start-up by ``backend.app``).
AUDIT_STAGE = CommitStage(name="audit log", write=_seal, discard=_discard)


class AuditLog:
    """The one way to write to, and check, the audit log.

    :meth:`record` buffers an event in the current transaction; the events are
    appended, chained and sealed in one step when that transaction commits (or,
    for a read-only transaction, right after it in a write transaction of their
    own). A rolled-back transaction appends nothing.
    """

    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self.session = session
        self.repository = AuditRepository(session)
        self.keyring = keyring

    def record(self, event: AuditEvent) -> None:
        """Buffer ``event``; it is appended when the current transaction commits."""
        info = self.session.info
        buffered = info.get(AUDIT_BUFFER)
        if buffered is None:
            buffered = info[AUDIT_BUFFER] = AuditBuffer(self.keyring)
        buffered.events.append((event, current_request_id()))

    async def entries(
        self, *, after_seq: int, limit: int, filters: AuditFilter | None = None
    ) -> list[AuditEntry]:
        """Entries after ``after_seq`` matching ``filters``, oldest first (admins, export)."""
        return await self.repository.page(after_seq=after_seq, limit=limit, filters=filters)

    async def verify(self) -> Verification:
        """Walk the chain from the first entry and report the first broken link."""
        previous = GENESIS_MAC
        expected_seq = 1
        checked = 0
        async for entry in self.repository.stream():
            if entry.seq != expected_seq:
                return Verification(
                    ok=False,
                    entries_checked=checked,
                    first_broken_seq=expected_seq,
                    reason=f"entry {expected_seq} is missing (next present is {entry.seq})",
                )
            try:
                key = self.keyring.derive("audit-chain", key_id=entry.key_id)
            except KeyFileError:
                return Verification(
                    ok=False,
                    entries_checked=checked,
                    first_broken_seq=entry.seq,
                    reason=f"entry {entry.seq} names unknown key {entry.key_id!r}",
                )
            if not hmac.compare_digest(_mac(key, previous, entry), entry.mac):
                return Verification(
                    ok=False,
                    entries_checked=checked,
                    first_broken_seq=entry.seq,
                    reason=(
                        f"entry {entry.seq} does not match its MAC: "
                        "it or an entry before it was altered"
                    ),
                )
            previous = entry.mac
            expected_seq += 1
            checked += 1
        return Verification(
            ok=True,
            entries_checked=checked,
            head_seq=checked or None,
            head_mac=previous.hex() if checked else None,
        )


def refused_as_not_found(
    message: str,
    *,
    keyring: KeyRing,
    action: str,
    actor_id: uuid.UUID | None,
    actor_role: str | None,
    object_type: str,
    object_id: object,
    reason: str = "not_found_or_out_of_scope",
) -> NotFound:
    """A "not found" answer that records the refusal (existence never leaks; the attempt is audited)."""
    event = AuditEvent(
        action=action,
        outcome="denied",
        actor_id=actor_id,
        actor_role=actor_role,
        object_type=object_type,
        object_id=str(object_id),
        detail={"reason": reason},
    )
    return NotFound(message, side_effects=[audit_side_effect(event, keyring)])


def audit_side_effect(event: AuditEvent, keyring: KeyRing) -> SideEffect:
    """Append ``event`` after the request's transaction rolled back (denials, failures)."""

    async def effect(session: AsyncSession) -> None:
        AuditLog(session, keyring).record(event)

    return effect


#: Anonymous denials are counted per window of this length.
DENIAL_WINDOW = dt.timedelta(hours=1)
_DENIAL_KEEP = dt.timedelta(days=30)


def _window_start(now: dt.datetime) -> dt.datetime:
    seconds = int(DENIAL_WINDOW.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def anonymous_denial(action: str, reason: str, keyring: KeyRing) -> SideEffect:
    """Count a denial nobody can be named for, instead of appending one entry each.

    Unauthenticated traffic (unknown accounts, unknown tokens, back-off
    refusals) must not grow the audit log without bound: the counter keeps
    the exact figure per window, and an entry is appended at the 1st, 10th,
    100th… occurrence of a kind in a window, so the log grows by the logarithm.
    """

    async def effect(session: AsyncSession) -> None:
        now = utcnow()
        window = _window_start(now)
        counters = DenialCounterRepository(session)
        count = await counters.count(window_start=window, action=action, reason=reason)
        if count == 1:
            await counters.prune(before=now - _DENIAL_KEEP)
        if str(count).strip("0") == "1":  # 1, 10, 100, …
            AuditLog(session, keyring).record(
                AuditEvent(
                    action=action,
                    outcome="denied",
                    detail={
                        "reason": reason,
                        "aggregated": True,
                        "count_in_window": count,
                        "window_start": window.isoformat(),
                    },
                )
            )

    return effect
