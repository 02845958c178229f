"""Writes that start on the server (a coordinator's action), through the record store.

Push is how phones write; a coordinator's referral step, a transfer or an
erasure is written here instead, to the very same records and through the
same record store (:mod:`backend.sync.records`): the body is sealed under the
case's data key, ``rev`` and ``field_revs`` move on, facets are recomputed,
the change is logged and the projectors are told, so phones see the result by
pull exactly as if another device had pushed it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.db.models import Record
from backend.runtime import Runtime
from backend.sync.records import RecordStore
from backend.sync.repositories import ChangeDraft

__all__ = ["ServerWriter"]


class ServerWriter:
    """Create, change, move and erase synced records on a coordinator's behalf."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.store = RecordStore(session, runtime)
        self.repo = self.store.repo

    async def locked(self, record_id: uuid.UUID) -> Record | None:
        """A record, locked until commit (PostgreSQL; SQLite writers take turns anyway)."""
        return await self.repo.record(record_id, for_update=True)

    async def read(self, record: Record) -> dict[str, Any]:
        """A record's fields, opened under its case's key.

        Raises:
            CaseErased: the case's data key is gone.
            UnreadableRecord: the body does not open.
        """
        return await self.store.read(record)

    async def create(
        self,
        *,
        entity: str,
        record_id: uuid.UUID,
        case: Record,
        values: Mapping[str, Any],
        actor_id: uuid.UUID,
    ) -> Record:
        """A new record of ``case``, written as the server (no device, no mutation).

        Raises:
            CaseErased: the case's data key is gone.
        """
        key = await self.store.required_key(case.id)
        body = dict(values)
        row = self.store.new_row(
            entity=entity,
            record_id=record_id,
            case_id=case.id,
            operation_id=case.operation_id,
            created_by=actor_id,
            created_by_mutation=uuid.uuid4(),  # made by the server: no device mutation
            schema_version=1,
            values=body,
            key=key,
        )
        return await self.store.create(row, body)

    async def change(self, record: Record, changes: Mapping[str, Any]) -> Record:
        """Set fields of a (locked) record: a new revision, logged for every device in scope.

        Raises:
            CaseErased: the case's data key is gone.
        """
        key = await self.store.required_key(record.case_id)
        current = self.store.open(key, record)
        await self.store.revise(record, key, {**current, **changes}, changes)
        return record

    async def move_case(self, case: Record, to_operation: uuid.UUID) -> int:
        """Move a (locked) case and all its records to another operation.

        The old operation's phones get a purge of the case; every record is
        logged again under the new operation, so its devices receive the whole
        case by pull. Conflicts and quarantine follow the case.

        Returns:
            How many records moved (the case included).
        """
        source = case.operation_id
        self.repo.log_change(
            ChangeDraft(
                entity="case", record_id=case.id, operation_id=source, rev=case.rev, op="purge"
            )
        )
        records = [case, *await self.repo.children_of(case.id)]
        now = utcnow()
        for record in records:
            record.operation_id = to_operation
            record.updated_at = now
        await self.change(case, {"operation_id": str(to_operation)})
        for child in records[1:]:
            await self.store.bump(child)
        # Conflicts, quarantine and tombstones belong to the new operation too.
        await self.repo.move_case_side_rows(case.id, to_operation)
        return len(records)

    async def erase_case(self, case: Record) -> int:
        """Crypto-shred a (locked) case: its data key goes, its records become tombstones.

        Every record of the case is marked deleted with its body and facets
        blanked; sync conflicts (sealed under the case's key) and quarantined
        mutations of the case (sealed under keys of their own) are deleted; a
        purge of the case is logged for its operation's phones.

        Returns:
            How many records became tombstones (the case included).
        """
        records = await self.repo.records_of_case(case.id)
        await self.repo.shred(case.id, [r.id for r in records])
        self.store.forget_keys([case.id])
        now = utcnow()
        for record in records:
            record.deleted = True
            record.body = b""
            record.facets = "{}"
            record.field_revs = "{}"
            record.rev += 1
            record.updated_at = now
        self.repo.log_change(
            ChangeDraft(
                entity="case",
                record_id=case.id,
                operation_id=case.operation_id,
                rev=case.rev,
                op="purge",
            )
        )
        return len(records)
