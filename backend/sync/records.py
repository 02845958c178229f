"""The one way a synced record is written: keys, seal and open, facets, revisions, change log.

Push (the fast bulk path and the slow path), server-side writes (referral
steps, transfers, erasure), conflict resolution and every reader that opens a
record go through :class:`RecordStore`. A record is:

- created with :meth:`RecordStore.new_row` (the columns of a new record,
  used as they are by the bulk insert) and :meth:`RecordStore.create`;
- revised with :meth:`RecordStore.revise` (a new revision; the fields it
  names move to it in ``field_revs``);
- made a tombstone with :meth:`RecordStore.tombstone`.

Each write is logged for pull (:meth:`RecordStore.log`) and handed to the
projectors the app registered at start-up (``backend/db/outbox.py``), so the
features that keep a view of records are told without sync importing them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.crypto.vault import DataKey as PlainKey
from backend.crypto.vault import SealedValueError, Vault, WrappedKey
from backend.db.base import utcnow
from backend.db.models import DataKey, Record
from backend.db.outbox import RecordWritten
from backend.errors import CaseErased
from backend.runtime import Runtime
from backend.sync.facets import readable, uuid_or_none
from backend.sync.repositories import ChangeDraft, SyncRepository
from backend.sync.sealing import open_body, seal_body

__all__ = ["RecordStore", "UnreadableRecord"]


class UnreadableRecord(Exception):
    """A stored body that does not open under its case's key (altered, or misplaced)."""

    def __init__(self, record_id: uuid.UUID) -> None:
        super().__init__(f"record {record_id} does not open under its case's key")
        self.record_id = record_id


class RecordStore:
    """Synced records of one transaction: the case-key cache and every way to write a record."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.repo = SyncRepository(session)
        self.vault = Vault(runtime.keyring)
        #: Case data keys opened in this transaction.
        self.keys: dict[uuid.UUID, PlainKey] = {}

    # -- case data keys ---------------------------------------------------------------

    async def key(self, case_id: uuid.UUID) -> PlainKey | None:
        """The case's data key, or ``None`` once the case is erased (its key shredded)."""
        if case_id not in self.keys:
            stored = (await self.repo.data_keys([case_id])).get(case_id)
            if stored is None:
                return None
            self.unwrap(case_id, stored)
        return self.keys[case_id]

    async def load_keys(self, case_ids: Iterable[uuid.UUID]) -> None:
        """Open the keys of several cases at once (those not held yet)."""
        missing = {c for c in case_ids if c not in self.keys}
        for owner, stored in (await self.repo.data_keys(missing)).items():
            self.unwrap(owner, stored)

    def unwrap(self, case_id: uuid.UUID, stored: DataKey) -> PlainKey:
        """Open a stored (wrapped) data key and keep it for this transaction."""
        wrapped = WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id)
        self.keys[case_id] = self.vault.unwrap(wrapped, case_id)
        return self.keys[case_id]

    def new_case_key(self, case_id: uuid.UUID, *, stage: bool = True) -> WrappedKey:
        """A new case's data key: held for this transaction, and staged unless ``stage`` is false.

        The bulk path inserts the wrapped keys itself (one statement), so it asks
        with ``stage=False``.
        """
        plain, wrapped = self.vault.new_data_key(case_id)
        if stage:
            self.repo.add_data_key(
                DataKey(
                    owner_id=case_id, wrapped=wrapped.wrapped, master_key_id=wrapped.master_key_id
                )
            )
        self.keys[case_id] = plain
        return wrapped

    def forget_keys(self, case_ids: Iterable[uuid.UUID]) -> None:
        """Drop keys made in work that was undone (they were never stored)."""
        for case_id in case_ids:
            self.keys.pop(case_id, None)

    async def required_key(self, case_id: uuid.UUID) -> PlainKey:
        """The case's data key.

        Raises:
            CaseErased: the key is gone.
        """
        key = await self.key(case_id)
        if key is None:
            raise CaseErased()
        return key

    # -- seal and open ----------------------------------------------------------------

    @staticmethod
    def open(key: PlainKey, record: Record) -> dict[str, Any]:
        """A record's fields, opened under its case's key.

        Raises:
            UnreadableRecord: the body was altered, or is not this record's.
        """
        try:
            return open_body(key, record.id, record.body)
        except SealedValueError:
            raise UnreadableRecord(record.id) from None

    async def read(self, record: Record) -> dict[str, Any]:
        """A record's fields.

        Raises:
            CaseErased: the case's data key is gone.
            UnreadableRecord: the body does not open.
        """
        return self.open(await self.required_key(record.case_id), record)

    # -- writes -----------------------------------------------------------------------

    def new_row(
        self,
        *,
        entity: str,
        record_id: uuid.UUID,
        case_id: uuid.UUID,
        operation_id: uuid.UUID,
        created_by: uuid.UUID,
        created_by_mutation: uuid.UUID,
        schema_version: int,
        values: Mapping[str, Any],
        key: PlainKey,
        now: Any = None,
    ) -> dict[str, Any]:
        """The columns of a new record at revision 1: its body sealed, its facets computed.

        Every way of creating a record builds its row here (the bulk insert, a
        single push, a coordinator's action), so they store the same thing.
        """
        facets, assigned = readable(self.runtime.keyring, entity, values, self.runtime.instruments)
        at = now or utcnow()
        return {
            "id": record_id,
            "entity": entity,
            "case_id": case_id,
            "operation_id": operation_id,
            "created_by": created_by,
            "created_by_mutation": created_by_mutation,
            "rev": 1,
            "schema_version": schema_version,
            "body": seal_body(key, record_id, values),
            "field_revs": msgspec.json.encode(dict.fromkeys(values, 1)).decode(),
            "facets": facets,
            "assigned_to": assigned,
            "deleted": False,
            "created_at": at,
            "updated_at": at,
        }

    async def create(self, row: Mapping[str, Any], values: Mapping[str, Any]) -> Record:
        """Stage a new record from :meth:`new_row`, log it and tell the projectors."""
        record = Record(**row)
        self.repo.add_record(record)
        await self.session.flush()
        await self.log(record, "upsert", values)
        return record

    async def inserted(self, rows: Iterable[tuple[Record, Mapping[str, Any]]]) -> None:
        """Log records the bulk path inserted itself (one statement for all of them)."""
        for record, values in rows:
            await self.log(record, "upsert", values)

    async def revise(
        self,
        record: Record,
        key: PlainKey,
        merged: Mapping[str, Any],
        changed: Iterable[str],
    ) -> int:
        """Store ``merged`` as the record's next revision; the ``changed`` fields move to it.

        Fields of ``merged`` the record never had (a server-made assessment) move
        too. The write is logged and handed to the projectors. A case whose
        assignee changes leaves the former assignee's phones (a purge logged
        first) and reaches the new assignee's with the records it already has.

        Returns:
            The new revision.
        """
        former = msgspec.json.decode(record.facets).get("assigned_to") if record.facets else None
        revs: dict[str, int] = msgspec.json.decode(record.field_revs)
        rev = record.rev + 1
        for name in changed:
            revs[name] = rev
        for name in merged.keys() - revs.keys():
            revs[name] = rev
        record.rev = rev
        record.body = seal_body(key, record.id, merged)
        record.field_revs = msgspec.json.encode(revs).decode()
        record.facets, record.assigned_to = readable(
            self.runtime.keyring, record.entity, merged, self.runtime.instruments
        )
        record.updated_at = utcnow()
        now = str(record.assigned_to) if record.assigned_to else None
        reassigned = record.entity == "case" and former != now
        if reassigned:
            self.purge_for_former_assignee(record, former)
        await self.log(record, "upsert", merged)
        if reassigned and now:
            await self.send_to_assignee(record, now)
        return rev

    async def bump(self, record: Record) -> None:
        """A new revision of a record whose body did not change (it moved, say); logged."""
        record.rev += 1
        record.updated_at = utcnow()
        await self.log(record, "upsert", None)

    async def tombstone(self, record: Record) -> None:
        """Mark a record deleted (a new revision; its body stays until the case is erased)."""
        if record.deleted:
            return
        record.deleted = True
        record.rev += 1
        record.updated_at = utcnow()
        await self.log(record, "delete", None)

    # -- the change log and the projectors ----------------------------------------------

    async def log(
        self,
        record: Record,
        op: Literal["upsert", "delete"],
        values: Mapping[str, Any] | None,
    ) -> None:
        """Log a write for pull and hand it to every registered projector, in order."""
        self.repo.log_change(
            ChangeDraft(
                entity=record.entity,
                record_id=record.id,
                operation_id=record.operation_id,
                rev=record.rev,
                op=op,
            )
        )
        event = RecordWritten(
            record=record, op=op, values=values, key=self.keys.get(record.case_id)
        )
        for projector in self.runtime.projectors:
            await projector.written(self.session, event)

    def purge_for_former_assignee(self, case: Record, former: Any) -> None:
        """The former assignee's phones drop the case's full data (the creator keeps it)."""
        former_id = uuid_or_none(former)
        if former_id is None or former_id == case.created_by:
            return
        self.repo.log_change(
            ChangeDraft(
                entity="case",
                record_id=case.id,
                operation_id=case.operation_id,
                rev=case.rev,
                op="purge",
                target_user=former_id,
            )
        )

    async def send_to_assignee(self, case: Record, assignee: Any) -> None:
        """The new assignee's phones receive the records the case already has."""
        assignee_id = uuid_or_none(assignee)
        if assignee_id is None:
            return
        for child in await self.repo.children_of(case.id):
            if child.deleted:
                continue  # a record deleted before they held the case is nothing to them
            self.repo.log_change(
                ChangeDraft(
                    entity=child.entity,
                    record_id=child.id,
                    operation_id=child.operation_id,
                    rev=child.rev,
                    op="upsert",
                    target_user=assignee_id,
                )
            )
