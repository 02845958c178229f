"""The fast path of push: a batch's plain creates in a few statements.

A create qualifies when it is valid, complete, new, in scope, waits for
nothing, and nothing before it in the batch that takes the slow path touches
its record or case. Those are written with one statement per table, inside
one savepoint. If anything there fails (an id taken by a concurrent push, a
record created at the same moment), the savepoint is undone and every
mutation takes the slow path: one savepoint each.

Rows are built by the record store (:meth:`RecordStore.new_row`), as the slow
path builds them, so both store the same thing for the same mutation.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
from sqlalchemy.exc import IntegrityError

from backend.access.principal import Principal
from backend.crypto.vault import DataKey as PlainKey
from backend.crypto.vault import WrappedKey
from backend.db.base import utcnow
from backend.db.models import DataKey, Record
from backend.db.session import savepoint
from backend.sync.entities import REQUIRED
from backend.sync.facets import uuid_or_none
from backend.sync.repositories import RecordBrief
from backend.sync.rules import Rejected, check_scope, validated
from backend.sync.schemas import MutationIn, MutationResult

if TYPE_CHECKING:
    from backend.sync.push import PushService

__all__ = ["BulkPath"]


class _Planned(NamedTuple):
    """A create the fast path writes: its place in the batch, the row, and the values sealed in it."""

    position: int
    mutation: MutationIn
    row: dict[str, Any]
    values: dict[str, Any]


class _BulkFailed(Exception):
    """The fast path met a concurrent push: undo it, take the slow path."""


class BulkPath:
    """One batch's fast path, for one caller."""

    def __init__(self, push: PushService, principal: Principal, scope: set[uuid.UUID]) -> None:
        self.push = push
        self.store = push.store
        self.repo = push.repo
        self.principal = principal
        self.scope = scope
        #: Wrapped keys of cases the fast path is about to create.
        self.new_keys: dict[uuid.UUID, WrappedKey] = {}

    async def apply(
        self, mutations: list[MutationIn], settled: Mapping[int, MutationResult]
    ) -> dict[int, MutationResult]:
        """Apply the batch's plain creates; the results by their index in the batch."""
        planned = await self._plan(mutations, settled)
        if not planned:
            return {}
        device_id = self.principal.device_id
        assert device_id is not None
        now = utcnow()
        outcomes, keys, records = [], [], []
        results: dict[int, MutationResult] = {}
        for index, mutation, row, _ in planned:
            result = MutationResult(mutation_id=mutation.mutation_id, status="applied", rev=1)
            results[index] = result
            outcomes.append(
                {
                    "mutation_id": mutation.mutation_id,
                    "device_id": device_id,
                    "user_id": self.principal.user_id,
                    "entity": mutation.entity,
                    "record_id": mutation.id,
                    "status": "applied",
                    "rev": 1,
                    "result": msgspec.json.encode(result).decode(),
                    "received_at": now,
                }
            )
            records.append({**row, "created_at": now, "updated_at": now})
            wrapped = self.new_keys.get(mutation.id) if mutation.entity == "case" else None
            if wrapped is not None:
                keys.append(
                    {
                        "owner_id": mutation.id,
                        "wrapped": wrapped.wrapped,
                        "master_key_id": wrapped.master_key_id,
                        "created_at": now,
                    }
                )
        try:
            async with savepoint(self.push.session):
                if await self.repo.insert_outcomes(outcomes) != len(outcomes):
                    raise _BulkFailed
                if await self.repo.insert_records(keys, records) != len(records):
                    raise _BulkFailed
                await self.store.inserted(
                    (Record(**row), p.values) for p, row in zip(planned, records, strict=True)
                )
        except (_BulkFailed, IntegrityError):
            self.store.forget_keys(self.new_keys)
            return {}
        finally:
            self.new_keys = {}
        return results

    async def _plan(
        self, mutations: list[MutationIn], settled: Mapping[int, MutationResult]
    ) -> list[_Planned]:
        """Which mutations the fast path takes, each with the record row it writes."""
        wanted: set[uuid.UUID] = set()
        for mutation in mutations:
            wanted.add(mutation.id)
            case_ref = uuid_or_none(mutation.data.get("case_id"))
            if case_ref is not None:
                wanted.add(case_ref)
        existing = await self.repo.briefs(wanted)
        known_keys = await self.repo.data_keys(
            {b.id for b in existing.values() if b.entity == "case"}
        )
        planned: list[_Planned] = []
        slow: set[uuid.UUID] = set()  # records and cases the slow path touches
        ids_seen: set[uuid.UUID] = set()
        new_cases: dict[uuid.UUID, uuid.UUID] = {}  # case id -> operation id
        for index, mutation in enumerate(mutations):
            if index in settled:
                continue
            found = await self._row(mutation, existing, known_keys, new_cases, slow, ids_seen)
            ids_seen.add(mutation.mutation_id)
            if found is None:
                slow.add(mutation.id)
                case_ref = uuid_or_none(mutation.data.get("case_id"))
                if case_ref is not None:
                    slow.add(case_ref)
                continue
            planned.append(_Planned(index, mutation, *found))
        return planned

    async def _row(
        self,
        mutation: MutationIn,
        existing: Mapping[uuid.UUID, RecordBrief],
        known_keys: Mapping[uuid.UUID, DataKey],
        new_cases: dict[uuid.UUID, uuid.UUID],
        slow: set[uuid.UUID],
        ids_seen: set[uuid.UUID],
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The record row of a plain create and its values, or ``None`` (the slow path)."""
        if (
            mutation.op != "upsert"
            or mutation.base_rev
            or mutation.mutation_id in ids_seen
            or mutation.id in existing
            or mutation.id in slow
            or mutation.id in new_cases
            or mutation.id in self.push.applier.waiting
        ):
            return None
        try:
            values = validated(mutation)
        except Rejected:
            return None
        if any(values.get(f) is None for f in REQUIRED[mutation.entity]):
            return None
        key: PlainKey | None
        if mutation.entity == "case":
            operation_id = uuid.UUID(str(values["operation_id"]))
            if operation_id not in self.scope or values.get("assigned_to") is not None:
                return None  # an assignee is checked on the slow path
            case_id = mutation.id
            self.new_keys[case_id] = self.store.new_case_key(case_id, stage=False)
            key = self.store.keys[case_id]
        else:
            case_id = uuid.UUID(str(values["case_id"]))
            if case_id in slow or case_id in self.push.applier.waiting:
                return None
            if case_id in new_cases:
                operation_id = new_cases[case_id]
            else:
                case = existing.get(case_id)
                if case is None or case.entity != "case" or case.id in self.new_keys:
                    return None
                try:
                    check_scope(self.principal, self.scope, case)
                except Rejected:
                    return None
                operation_id = case.operation_id
            key = self.store.keys.get(case_id)
            if key is None and case_id in known_keys:
                key = self.store.unwrap(case_id, known_keys[case_id])
            if key is None:
                return None
        try:
            self.push.applier.check_consent_time(mutation, values)
            values = self.push.applier.assessed(mutation, values)
        except Rejected:
            return None
        if mutation.entity == "case":
            new_cases[case_id] = operation_id
        row = self.store.new_row(
            entity=mutation.entity,
            record_id=mutation.id,
            case_id=case_id,
            operation_id=operation_id,
            created_by=self.principal.user_id,
            created_by_mutation=mutation.mutation_id,
            schema_version=mutation.schema_version,
            values=values,
            key=key,
        )
        return row, values
