"""How a device pulls: the change log in commit order, page by page, in the caller's scope.

A device that pulls to the end has every change in its scope exactly once,
each record at its latest state. The cursor is opaque to the device; it names
the epoch (a restore starts a new one), the last change delivered and the
operations the device held.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import uuid
from typing import Annotated, Any, cast

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.policy import phone_scope
from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog
from backend.crypto.vault import DataKey as PlainKey
from backend.crypto.vault import SealedValueError, Vault, WrappedKey
from backend.db.base import utcnow
from backend.errors import CursorExpired, FieldError, ResyncRequired, ValidationFailed
from backend.i18n import N_
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime
from backend.sync.repositories import PageRow, SyncRepository
from backend.sync.schemas import Change, PullResponse
from backend.sync.sealing import open_body_json

__all__ = ["PullService"]

logger = logging.getLogger("lantern.sync")

#: A change number as the database holds it (a signed 64-bit integer).
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class _Cursor(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a device must send back to continue: opaque to it."""

    e: str  # epoch
    s: Seq  # last change number delivered
    o: list[uuid.UUID] = []  # operations in scope when it was made
    n: list[uuid.UUID] = []  # operations gained, being backfilled
    b: Seq = 0  # backfill position
    h: Seq = 0  # backfill high mark


def _encode_cursor(cursor: _Cursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def _decode_cursor(text: str) -> _Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise ValidationFailed(
            errors=[
                FieldError(field="cursor", reason="not a cursor of this server", location="query")
            ]
        ) from None


class PullService:
    """Pages of changes for one caller's device, and the log's upkeep."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.repo = SyncRepository(session)
        self.operations = OperationRepository(session)
        self.audit = AuditLog(session, runtime.keyring)
        self.vault = Vault(runtime.keyring)
        self._keys: dict[uuid.UUID, PlainKey] = {}

    async def pull(self, principal: Principal, *, cursor: str | None, limit: int) -> PullResponse:
        """The next page of changes in the caller's scope.

        Raises:
            ResyncRequired: the cursor is from another epoch (the server was restored).
            CursorExpired: the cursor is older than the compacted log.
            ValidationFailed: not a cursor of this server.
        """
        facts = await self.repo.states("epoch", "compacted_through")
        epoch = facts["epoch"]
        scope = set(await self.operations.ids_for_member(principal.user_id))
        state = _decode_cursor(cursor) if cursor else _Cursor(e=epoch, s=0, o=sorted(scope))
        if state.e != epoch:
            raise ResyncRequired(
                N_(
                    "The server was restored: push every change this device holds, then pull from the start."
                )
            )
        if cursor:
            horizon = int(facts.get("compacted_through") or 0)
            if state.s < horizon:
                raise CursorExpired(
                    N_("Pull from the start; keep and push again what this device has not pushed.")
                )
        changes: list[Change] = []
        known = set(state.o)
        for lost in sorted(known - scope):  # left an operation: its data leaves the device
            changes.append(Change(entity="operation", id=lost, op="purge", rev=0))
        known &= scope
        gained = (scope - known) - set(state.n)
        if gained:  # joined an operation: send what it already holds, then go on
            state.n = sorted(set(state.n) | gained)
            state.h = max(state.h, state.s)
        # Read first, in this snapshot: every change numbered up to here is visible to it.
        high = await self.repo.last_seq()
        where = phone_scope(principal)
        if state.n:
            page = await self.repo.page(
                after=state.b,
                up_to=state.h,
                operations=set(state.n) & scope,
                user_id=principal.user_id,
                scope=where,
                limit=limit + 1,
            )
            backfilling = True
        else:
            page = await self.repo.page(
                after=state.s,
                up_to=None,
                operations=known,
                user_id=principal.user_id,
                scope=where,
                limit=limit + 1,
            )
            backfilling = False
        has_more = len(page) > limit
        page = page[:limit]
        changes += await self._render(page)
        if backfilling:
            if page and has_more:
                state.b = page[-1].seq
            else:
                known |= set(state.n) & scope
                state.n, state.b, state.h = [], 0, 0
                has_more = True  # the regular log continues from ``s``
        elif page:
            state.s = page[-1].seq
        if not backfilling and not has_more:
            # At the end: nothing in scope up to ``high`` is left, so the cursor moves
            # there (a device that saw nothing does not keep a cursor of 0 forever).
            state.s = max(state.s, high)
        state.o = sorted(known)
        if changes:
            self.audit.record(
                AuditEvent(
                    action="sync.pull",
                    actor_id=principal.user_id,
                    actor_role=principal.role,
                    device_id=principal.device_id,
                    detail={"changes": len(changes)},
                )
            )
        return PullResponse(changes=changes, cursor=_encode_cursor(state), has_more=has_more)

    async def compact(self, *, horizon: dt.timedelta) -> int:
        """Drop superseded change rows older than ``horizon``; cursors before them expire."""
        deleted, top = await self.repo.compact(before=utcnow() - horizon)
        if top:
            current = int(await self.repo.state("compacted_through") or 0)
            await self.repo.set_state("compacted_through", str(max(current, top)))
        self.audit.record(AuditEvent(action="sync.compact", detail={"deleted": deleted}))
        return deleted

    async def new_epoch(self) -> str:
        """Start a new epoch (after a restore): every device re-pushes, then resyncs."""
        epoch = uuid.uuid4().hex
        await self.repo.set_state("epoch", epoch)
        self.audit.record(AuditEvent(action="sync.new_epoch", detail={"epoch": epoch}))
        return epoch

    async def _render(self, page: list[PageRow]) -> list[Change]:
        """Changes as a device receives them; bodies go out as the JSON they were sealed as.

        Each record goes out once, at its latest state: a change that a later
        change of the same record follows is skipped. A body that does not open
        (altered in storage) is left out of the page and reported to the
        operator; the rest of the page is delivered.
        """
        wanted = {
            row.case_id
            for row in page
            if row.full and row.body is not None and row.case_id is not None
        } - self._keys.keys()
        for owner, (wrapped, kid) in (await self.repo.wrapped_keys(wanted)).items():
            self._keys[owner] = self.vault.unwrap(
                WrappedKey(wrapped=wrapped, master_key_id=kid), owner
            )
        out: list[Change] = []
        for row in page:
            if row.op == "purge":  # drop this record (and, for a case, all of it)
                out.append(Change(entity=row.entity, id=row.record_id, op="purge", rev=row.rev))
                continue
            if row.record_entity is None or row.record_rev is None:
                continue  # gone (an erased case's records)
            if row.rev < row.record_rev:
                continue  # a later change of this record follows in the log
            if row.deleted or row.op == "delete":
                out.append(
                    Change(entity=row.record_entity, id=row.record_id, op="delete", rev=row.rev)
                )
                continue
            key = self._keys.get(row.case_id) if row.case_id is not None else None
            data: Any = None
            if row.full and row.body is not None and key is not None:
                try:
                    data = msgspec.Raw(open_body_json(key, row.record_id, row.body))
                except SealedValueError:
                    logger.error(
                        "record %s does not open under its case's key: left out of pull; "
                        "restore it from a backup",
                        row.record_id,
                        extra={"event": "sync.unreadable_record", "record_id": str(row.record_id)},
                    )
                    continue
            out.append(
                Change(
                    entity=row.record_entity,
                    id=row.record_id,
                    op="upsert",
                    rev=row.record_rev,
                    data=data,
                    facets=cast(Any, msgspec.Raw((row.facets or "{}").encode())),
                )
            )
        return out
