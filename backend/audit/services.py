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

from backend.audit.repositories import AuditRepository
from backend.crypto.keys import KeyFileError, KeyRing
from backend.db.base import utcnow
from backend.db.models import AuditEntry
from backend.errors import SideEffect
from backend.observability import current_request_id

__all__ = ["AuditEvent", "AuditLog", "Verification", "audit_side_effect"]

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


class AuditLog:
    """The one way to write to, and check, the audit log."""

    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self.repository = AuditRepository(session)
        self.keyring = keyring

    async def append(self, event: AuditEvent) -> AuditEntry:
        """Append ``event`` in the current transaction, chained to the newest entry."""
        await self.repository.lock_for_append()
        last = await self.repository.last()
        entry = AuditEntry(
            seq=(last.seq + 1) if last else 1,
            id=uuid.uuid4(),
            at=utcnow(),
            action=event.action,
            outcome=event.outcome,
            actor_id=event.actor_id,
            actor_role=event.actor_role,
            device_id=event.device_id,
            object_type=event.object_type,
            object_id=event.object_id,
            request_id=current_request_id(),
            detail=msgspec.json.encode(event.detail, order="sorted").decode(),
            key_id=self.keyring.active_id,
        )
        key = self.keyring.derive("audit-chain")
        entry.mac = _mac(key, last.mac if last else GENESIS_MAC, entry)
        self.repository.add(entry)
        return entry

    async def entries(self, *, after_seq: int, limit: int) -> list[AuditEntry]:
        """Entries after ``after_seq``, oldest first (for admins and export)."""
        return await self.repository.page(after_seq=after_seq, limit=limit)

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


def audit_side_effect(event: AuditEvent, keyring: KeyRing) -> SideEffect:
    """Append ``event`` after the request's transaction rolled back (denials, failures)."""

    async def effect(session: AsyncSession) -> None:
        await AuditLog(session, keyring).append(event)

    return effect
