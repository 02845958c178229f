"""What coordinators review of sync: conflicts (keep one value) and quarantine.

Both are audited reads of their operations. Resolving a conflict in the
device's favour is a new revision of the record, written through the record
store like any other write, so every phone in scope receives it by pull.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.crypto.vault import DataKey as PlainKey
from backend.db.base import utcnow
from backend.db.models import Conflict
from backend.errors import Conflict as ConflictError
from backend.errors import NotFound
from backend.i18n import N_
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime
from backend.sync.records import RecordStore
from backend.sync.rules import open_quarantined
from backend.sync.schemas import ConflictOut, QuarantineOut

__all__ = ["ReviewService"]


def _device_value(key: PlainKey, conflict: Conflict) -> Any:
    """The value a device sent for a conflicting field, opened under the case's key."""
    return msgspec.json.decode(
        key.open(
            conflict.device_value,
            table="sync_conflicts",
            column="device_value",
            row_id=str(conflict.id),
        )
    )


class ReviewService:
    """Conflicts and quarantine of the caller's operations."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.store = RecordStore(session, runtime)
        self.repo = self.store.repo
        self.operations = OperationRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    async def _coordinated(self, principal: Principal) -> set[uuid.UUID]:
        return set(await self.operations.ids_for_member(principal.user_id))

    async def conflicts(
        self, principal: Principal, *, status: str | None, limit: int, offset: int
    ) -> list[ConflictOut]:
        """Conflicts in the caller's operations, with both values (an audited read)."""
        rows = await self.repo.conflicts(
            await self._coordinated(principal), status=status, limit=limit, offset=offset
        )
        records = await self.repo.records({r.record_id for r in rows})
        await self.store.load_keys({r.case_id for r in rows})
        out = []
        for row in rows:
            key = self.store.keys.get(row.case_id)
            record = records.get(row.record_id)
            device_value = server_value = None
            if key is not None:
                device_value = _device_value(key, row)
                if record is not None:
                    server_value = self.store.open(key, record).get(row.field)
            out.append(
                ConflictOut(
                    id=row.id,
                    entity=row.entity,
                    record_id=row.record_id,
                    case_id=row.case_id,
                    operation_id=row.operation_id,
                    field=row.field,
                    kind=row.kind,
                    device_value=device_value,
                    server_value=server_value,
                    base_rev=row.base_rev,
                    server_rev=row.server_rev,
                    device_id=row.device_id,
                    user_id=row.user_id,
                    status=row.status,
                    created_at=row.created_at,
                )
            )
        if out:
            self.audit.record(
                AuditEvent(
                    action="sync.conflicts.read",
                    actor_id=principal.user_id,
                    actor_role=principal.role,
                    detail={"conflicts": len(out)},
                )
            )
        return out

    async def resolve_conflict(
        self, principal: Principal, conflict_id: uuid.UUID, *, keep: str
    ) -> None:
        """Keep the server's value, or take the device's (a new revision every device pulls)."""
        scope = await self._coordinated(principal)
        row = await self.repo.conflict(conflict_id, scope)
        if row is None:
            raise refused_as_not_found(
                N_("No such conflict among your operations."),
                keyring=self.runtime.keyring,
                action="sync.conflict.resolve",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="conflict",
                object_id=conflict_id,
            )
        if row.status != "open":
            raise ConflictError(N_("This conflict was already resolved."))
        if keep == "device":
            record = await self.repo.record(row.record_id, for_update=True)
            key = await self.store.key(row.case_id)
            if record is None or key is None:
                raise ConflictError(N_("The record is gone; keep the server's value."))
            current = self.store.open(key, record)
            record.deleted = False  # the device's value brings a deleted record back
            await self.store.revise(
                record, key, {**current, row.field: _device_value(key, row)}, [row.field]
            )
        row.status = "resolved"
        row.resolution = keep
        row.resolved_by = principal.user_id
        row.resolved_at = utcnow()
        self.audit.record(
            AuditEvent(
                action="sync.conflict.resolve",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="conflict",
                object_id=str(conflict_id),
                detail={"keep": keep},
            )
        )

    async def quarantine(
        self, principal: Principal, *, status: str | None, limit: int, offset: int
    ) -> list[QuarantineOut]:
        """Quarantined mutations of the caller's operations, opened (an audited read)."""
        rows = await self.repo.quarantine(
            await self._coordinated(principal),
            [principal.user_id],
            status=status,
            limit=limit,
            offset=offset,
        )
        out = []
        for row in rows:
            payload = msgspec.to_builtins(open_quarantined(self.store.vault, row))
            out.append(
                QuarantineOut(
                    id=row.id,
                    mutation_id=row.mutation_id,
                    entity=row.entity,
                    record_id=row.record_id,
                    operation_id=row.operation_id,
                    case_id=row.case_id,
                    status=row.status,
                    reason=msgspec.json.decode(row.reason),
                    payload=payload,
                    device_id=row.device_id,
                    user_id=row.user_id,
                    created_at=row.created_at,
                )
            )
        if out:
            self.audit.record(
                AuditEvent(
                    action="sync.quarantine.read",
                    actor_id=principal.user_id,
                    actor_role=principal.role,
                    detail={"items": len(out)},
                )
            )
        return out

    async def dismiss(self, principal: Principal, item_id: uuid.UUID) -> None:
        """Mark a quarantined mutation as dealt with (it stays stored)."""
        scope = await self._coordinated(principal)
        row = await self.repo.quarantined(item_id)
        unplaced_but_ours = (
            row is not None
            and row.operation_id is None
            and (
                row.user_id == principal.user_id
                or bool(scope & set(await self.operations.ids_for_member(row.user_id)))
            )
        )
        if row is None or (row.operation_id not in scope and not unplaced_but_ours):
            raise NotFound(N_("No such quarantined mutation among your operations."))
        row.status = "dismissed"
        row.resolved_by = principal.user_id
        row.resolved_at = utcnow()
        self.audit.record(
            AuditEvent(
                action="sync.quarantine.dismiss",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="quarantine",
                object_id=str(item_id),
            )
        )
