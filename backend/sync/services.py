"""Push and pull: every mutation gets a durable outcome, nothing a device sent is lost.

Push applies each mutation atomically on its own (a savepoint), so one bad
mutation never blocks the others. Its outcome is stored under the mutation's
client-made id before the transaction commits: pushing it again returns the
stored outcome and changes nothing. A rejected mutation is kept, sealed, in
quarantine for a coordinator; an update that arrives before its record's
create waits there and is applied when the create arrives. An update carries
the revision it was based on: fields nobody else changed since then merge; a
field changed on both sides keeps the server's value and the device's value
becomes a conflict for a coordinator to resolve.

Pull returns the change log in commit order, page by page, in the caller's
scope: a device that pulls to the end has every change in scope exactly once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

import msgspec
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.access.policy import may_write_case, phone_scope
from backend.access.principal import Principal
from backend.access.roles import Role
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.crypto.pseudonyms import pseudonym
from backend.crypto.vault import DataKey as PlainKey
from backend.crypto.vault import Vault, WrappedKey
from backend.db.base import utcnow
from backend.db.models import Conflict, DataKey, Quarantined, Record
from backend.db.session import savepoint
from backend.duplicates.services import encode_case
from backend.errors import (
    CaseErased,
    CursorExpired,
    FieldError,
    Forbidden,
    LanternError,
    NotFound,
    PayloadTooLarge,
    ResyncRequired,
    ValidationFailed,
)
from backend.errors import (
    Conflict as ConflictError,
)
from backend.i18n import N_
from backend.investigations.projection import stage_projection
from backend.linkage.addresses import CHAINS, InvalidValue, normalize
from backend.linkage.addresses.txids import normalize_txid
from backend.operations.repositories import OperationRepository
from backend.problems import problem_for
from backend.runtime import Runtime
from backend.screenings.services import ScreeningAssessor
from backend.sync.entities import ENTITIES, IMMUTABLE, REQUIRED
from backend.sync.repositories import (
    CHANGE_BUFFER,
    ChangeDraft,
    PageRow,
    RecordBrief,
    SyncRepository,
    seal_changes,
)
from backend.sync.schemas import (
    MAX_BATCH,
    Change,
    ConflictOut,
    FieldConflict,
    MutationIn,
    MutationResult,
    PullResponse,
    PushRequest,
    QuarantineOut,
)
from backend.sync.sealing import open_body, open_body_json, seal_body
from backend.users.repositories import UserRepository

__all__ = ["SyncService", "nationality_tag"]

event.listen(Session, "before_commit", seal_changes)


@event.listens_for(Session, "after_rollback")
def _discard_changes(session: Session) -> None:
    """A rolled-back transaction changed nothing: its changes are not logged."""
    if not session.in_nested_transaction():
        session.info.pop(CHANGE_BUFFER, None)


_CASE_FACETS = ("age_group", "assigned_to", "case_code")


class Rejected(Exception):
    """A mutation that cannot be applied: it goes to quarantine with this problem."""

    def __init__(self, error: LanternError, *, waiting: bool = False) -> None:
        super().__init__(error.detail or error.title)
        self.error = error
        self.waiting = waiting


def _field_error(field_name: str, reason: str, code: str | None = None) -> FieldError:
    return FieldError(field=field_name, reason=reason, location="body", code=code)


def _rejected(reason: str, *, field_name: str = "data", code: str | None = None) -> Rejected:
    return Rejected(ValidationFailed(reason, errors=[_field_error(field_name, reason, code)]))


def _age_group(values: Mapping[str, Any], today: dt.date) -> str:
    born = values.get("date_of_birth")
    if isinstance(born, str):
        try:
            born = dt.date.fromisoformat(born)
        except ValueError:
            born = None
    age = None
    if isinstance(born, dt.date):
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    elif isinstance(values.get("age_estimate"), int):
        age = values["age_estimate"]
    if age is None:
        return "unknown"
    return "child" if age < 18 else "adult"


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


class _Cursor(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a device must send back to continue: opaque to it."""

    e: str  # epoch
    s: int  # last change number delivered
    o: list[uuid.UUID] = []  # operations in scope when it was made
    n: list[uuid.UUID] = []  # operations gained, being backfilled
    b: int = 0  # backfill position
    h: int = 0  # backfill high mark


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


class SyncService:
    """Push and pull for one caller's device, conflicts and quarantine for coordinators."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.repo = SyncRepository(session)
        self.operations = OperationRepository(session)
        self.users = UserRepository(session)
        self.audit = AuditLog(session, runtime.keyring)
        self.vault = Vault(runtime.keyring)
        self.assessor = ScreeningAssessor(runtime.instruments)
        self._keys: dict[uuid.UUID, PlainKey] = {}
        #: Record and case ids with mutations waiting for them (checked once per batch).
        self._waiting: set[uuid.UUID] = set()
        #: Wrapped keys of cases the fast path is about to create.
        self._new_keys: dict[uuid.UUID, WrappedKey] = {}

    # -- keys and sealing -------------------------------------------------------------

    async def _key(self, case_id: uuid.UUID) -> PlainKey | None:
        if case_id not in self._keys:
            stored = (await self.repo.data_keys([case_id])).get(case_id)
            if stored is None:
                return None
            wrapped = WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id)
            self._keys[case_id] = self.vault.unwrap(wrapped, case_id)
        return self._keys[case_id]

    async def _load_keys(self, case_ids: Iterable[uuid.UUID]) -> None:
        missing = {c for c in case_ids if c not in self._keys}
        for owner, stored in (await self.repo.data_keys(missing)).items():
            wrapped = WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id)
            self._keys[owner] = self.vault.unwrap(wrapped, owner)

    def _new_case_key(self, case_id: uuid.UUID) -> PlainKey:
        plain, wrapped = self.vault.new_data_key(case_id)
        self.repo.add_data_key(
            DataKey(owner_id=case_id, wrapped=wrapped.wrapped, master_key_id=wrapped.master_key_id)
        )
        self._keys[case_id] = plain
        return plain

    @staticmethod
    def _seal(key: PlainKey, record_id: uuid.UUID, values: Mapping[str, Any]) -> bytes:
        return seal_body(key, record_id, values)

    @staticmethod
    def _open(key: PlainKey, record: Record) -> dict[str, Any]:
        return open_body(key, record.id, record.body)

    @staticmethod
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

    def _quarantined_mutation(self, item: Quarantined) -> MutationIn:
        """A quarantined mutation as the device sent it, opened under the item's own key."""
        plain = self.vault.unwrap(
            WrappedKey(wrapped=item.wrapped_key, master_key_id=item.master_key_id), item.id
        )
        return msgspec.json.decode(
            plain.open(
                item.payload, table="sync_quarantine", column="payload", row_id=str(item.id)
            ),
            type=MutationIn,
        )

    # -- push -------------------------------------------------------------------------

    async def push(self, principal: Principal, request: PushRequest) -> list[MutationResult]:
        """Apply a batch; one durable result per mutation, in the order sent.

        Raises:
            Forbidden: the device is not the caller's own signed-in device.
            PayloadTooLarge: more than ``MAX_BATCH`` mutations.
        """
        if principal.device_id is None or request.device_id != principal.device_id:
            raise Forbidden(
                N_("Push from the device this session signed in with."),
                errors=[
                    FieldError(
                        field="device_id",
                        reason="not the device bound to this token",
                        location="body",
                    )
                ],
            )
        if len(request.mutations) > MAX_BATCH:
            raise PayloadTooLarge(N_("Send at most 500 mutations per push."))
        scope = set(await self.operations.ids_for_member(principal.user_id))
        seen = {
            mutation_id: row.result
            for mutation_id, row in (
                await self.repo.outcomes([m.mutation_id for m in request.mutations])
            ).items()
        }
        ids = {m.id for m in request.mutations}
        self._waiting = await self.repo.waiting_among(ids)
        results: dict[int, MutationResult] = {}
        for index, mutation in enumerate(request.mutations):
            stored = seen.get(mutation.mutation_id)
            if stored is not None:
                results[index] = self._replay(mutation.mutation_id, stored)
        applied = await self._push_bulk(principal, scope, request.mutations, results)
        for done in applied.values():
            seen[done.mutation_id] = msgspec.json.encode(done).decode()
        results.update(applied)
        tally = _Tally()
        for index, mutation in enumerate(request.mutations):
            result = results.get(index)
            if result is None:
                stored = seen.get(mutation.mutation_id)
                if stored is not None:  # the same id earlier in this batch
                    result = self._replay(mutation.mutation_id, stored)
                else:
                    result = await self._push_one(principal, scope, mutation)
                    if result.status != "duplicate":
                        seen[mutation.mutation_id] = msgspec.json.encode(result).decode()
                results[index] = result
            tally.add(result.status)
        ordered = [results[index] for index in range(len(request.mutations))]
        self.audit.record(
            AuditEvent(
                action="sync.push",
                actor_id=principal.user_id,
                actor_role=principal.role,
                device_id=principal.device_id,
                detail={"mutations": len(request.mutations), **tally.counts},
            )
        )
        return ordered

    async def _push_bulk(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
        mutations: list[MutationIn],
        settled: Mapping[int, MutationResult],
    ) -> dict[int, MutationResult]:
        """The fast path: apply the batch's plain creates in a few statements.

        A create qualifies when it is valid, complete, new, in scope, waits for
        nothing, and nothing before it in the batch that takes the slow path
        touches its record or case. Those are written with one statement per
        table, inside one savepoint. If anything there fails (an id taken by a
        concurrent push, a record created at the same moment), the savepoint is
        undone and every mutation takes the slow path: one savepoint each.

        Returns:
            The results of the mutations applied here, by their index in the batch.
        """
        planned = await self._plan_bulk(principal, scope, mutations, settled)
        if not planned:
            return {}
        assert principal.device_id is not None
        now = utcnow()
        outcomes, keys, records = [], [], []
        results: dict[int, MutationResult] = {}
        for index, mutation, row, _ in planned:
            result = MutationResult(mutation_id=mutation.mutation_id, status="applied", rev=1)
            results[index] = result
            outcomes.append(
                {
                    "mutation_id": mutation.mutation_id,
                    "device_id": principal.device_id,
                    "user_id": principal.user_id,
                    "entity": mutation.entity,
                    "record_id": mutation.id,
                    "status": "applied",
                    "rev": 1,
                    "result": msgspec.json.encode(result).decode(),
                    "received_at": now,
                }
            )
            records.append({**row, "created_at": now, "updated_at": now})
            wrapped = self._new_keys.get(mutation.id) if mutation.entity == "case" else None
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
            async with savepoint(self.session):
                if await self.repo.insert_outcomes(outcomes) != len(outcomes):
                    raise _BulkFailed
                if await self.repo.insert_records(keys, records) != len(records):
                    raise _BulkFailed
                for (_, mutation, _, values), row in zip(planned, records, strict=True):
                    record = Record(**row)
                    self._log(record, "upsert")  # the change, and the linkage index
                    if mutation.entity == "case":
                        await encode_case(self.session, self.runtime, record, values, compare=False)
        except (_BulkFailed, IntegrityError):
            for owner in self._new_keys:
                self._keys.pop(owner, None)
            return {}
        finally:
            self._new_keys = {}
        return results

    async def _plan_bulk(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
        mutations: list[MutationIn],
        settled: Mapping[int, MutationResult],
    ) -> list[_Planned]:
        """Which mutations the fast path takes, each with the record row it writes."""
        wanted: set[uuid.UUID] = set()
        for mutation in mutations:
            wanted.add(mutation.id)
            case_ref = _uuid_or_none(mutation.data.get("case_id"))
            if case_ref is not None:
                wanted.add(case_ref)
        existing = await self.repo.briefs(wanted)
        known_keys = await self.repo.data_keys(
            {b.id for b in existing.values() if b.entity == "case"}
        )
        self._new_keys = {}
        planned: list[_Planned] = []
        slow: set[uuid.UUID] = set()  # records and cases the slow path touches
        ids_seen: set[uuid.UUID] = set()
        new_cases: dict[uuid.UUID, uuid.UUID] = {}  # case id -> operation id
        for index, mutation in enumerate(mutations):
            if index in settled:
                continue
            found = self._bulk_row(
                principal, scope, mutation, existing, known_keys, new_cases, slow, ids_seen
            )
            ids_seen.add(mutation.mutation_id)
            if found is None:
                slow.add(mutation.id)
                case_ref = _uuid_or_none(mutation.data.get("case_id"))
                if case_ref is not None:
                    slow.add(case_ref)
                continue
            planned.append(_Planned(index, mutation, *found))
        return planned

    def _bulk_row(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
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
            or mutation.id in self._waiting
        ):
            return None
        try:
            values = self._validated(mutation)
        except Rejected:
            return None
        if any(values.get(f) is None for f in REQUIRED[mutation.entity]):
            return None
        if mutation.entity == "case":
            operation_id = uuid.UUID(str(values["operation_id"]))
            if operation_id not in scope:
                return None
            case_id = mutation.id
            key = self._bulk_case_key(case_id)
        else:
            case_id = uuid.UUID(str(values["case_id"]))
            if case_id in slow or case_id in self._waiting:
                return None
            if case_id in new_cases:
                operation_id = new_cases[case_id]
            else:
                case = existing.get(case_id)
                if case is None or case.entity != "case" or case.id in self._new_keys:
                    return None
                try:
                    self._check_scope(principal, scope, case)
                except Rejected:
                    return None
                operation_id = case.operation_id
            key_found = self._keys.get(case_id) or self._unwrapped(case_id, known_keys)
            if key_found is None:
                return None
            key = key_found
        try:
            values = self._assessed(mutation, values)
        except Rejected:
            return None
        facets, assigned = self._readable(mutation.entity, values)
        if mutation.entity == "case":
            new_cases[case_id] = operation_id
        return {
            "id": mutation.id,
            "entity": mutation.entity,
            "case_id": case_id,
            "operation_id": operation_id,
            "created_by": principal.user_id,
            "created_by_mutation": mutation.mutation_id,
            "rev": 1,
            "schema_version": mutation.schema_version,
            "body": self._seal(key, mutation.id, values),
            "field_revs": msgspec.json.encode(dict.fromkeys(values, 1)).decode(),
            "facets": facets,
            "assigned_to": assigned,
            "deleted": False,
        }, values

    def _bulk_case_key(self, case_id: uuid.UUID) -> PlainKey:
        plain, wrapped = self.vault.new_data_key(case_id)
        self._new_keys[case_id] = wrapped
        self._keys[case_id] = plain
        return plain

    def _unwrapped(
        self, case_id: uuid.UUID, known_keys: Mapping[uuid.UUID, DataKey]
    ) -> PlainKey | None:
        stored = known_keys.get(case_id)
        if stored is None:
            return None
        wrapped = WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id)
        self._keys[case_id] = self.vault.unwrap(wrapped, case_id)
        return self._keys[case_id]

    @staticmethod
    def _replay(mutation_id: uuid.UUID, stored: str) -> MutationResult:
        original = msgspec.json.decode(stored.encode(), type=MutationResult)
        return MutationResult(
            mutation_id=mutation_id,
            status="duplicate",
            rev=original.rev,
            problem=original.problem,
            conflicts=original.conflicts,
        )

    async def _push_one(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
        mutation: MutationIn,
        *,
        retried: bool = False,
    ) -> MutationResult:
        keys_before = set(self._keys)
        try:
            try:
                async with savepoint(self.session):
                    result = await self._apply(principal, scope, mutation)
                    if not await self._store_outcome(principal, mutation, result):
                        raise _AlreadyClaimed  # undoes this savepoint's work
                    return result
            except BaseException:
                # A data key made in a rolled-back savepoint was never stored: forget it.
                for case_id in set(self._keys) - keys_before:
                    del self._keys[case_id]
                raise
        except _AlreadyClaimed:
            stored = (await self.repo.outcomes([mutation.mutation_id]))[mutation.mutation_id]
            return self._replay(mutation.mutation_id, stored.result)
        except IntegrityError:
            # Another request wrote the same mutation id, or created the same record
            # id, at the same moment and committed first: replay its outcome, or apply
            # this mutation again against what is there now (a create-create conflict).
            found = (await self.repo.outcomes([mutation.mutation_id])).get(mutation.mutation_id)
            if found is not None:
                return self._replay(mutation.mutation_id, found.result)
            if retried:
                raise
            return await self._push_one(principal, scope, mutation, retried=True)
        except Rejected as rejection:
            return await self._quarantine(principal, mutation, rejection)

    async def _store_outcome(
        self, principal: Principal, mutation: MutationIn, result: MutationResult
    ) -> bool:
        """Store the outcome under the mutation id; false if a concurrent push stored it first."""
        assert principal.device_id is not None
        return await self.repo.record_outcome(
            mutation.mutation_id,
            device_id=principal.device_id,
            user_id=principal.user_id,
            entity=mutation.entity,
            record_id=mutation.id,
            status=result.status,
            rev=result.rev,
            result=msgspec.json.encode(result).decode(),
        )

    async def _settle(self, result: MutationResult) -> None:
        await self.repo.settle(
            result.mutation_id,
            status=result.status,
            rev=result.rev,
            result=msgspec.json.encode(result).decode(),
        )

    async def _quarantine(
        self, principal: Principal, mutation: MutationIn, rejection: Rejected
    ) -> MutationResult:
        """Keep what could not be applied, sealed under a key of its own; never drop it."""
        assert principal.device_id is not None
        problem = problem_for(rejection.error)
        result = MutationResult(
            mutation_id=mutation.mutation_id,
            status="waiting" if rejection.waiting else "rejected",
            problem=problem,
        )
        if rejection.waiting:
            self._waiting.add(mutation.id)
            case_ref = _uuid_or_none(mutation.data.get("case_id"))
            if case_ref is not None:
                self._waiting.add(case_ref)
        async with savepoint(self.session):
            if not await self._store_outcome(principal, mutation, result):
                stored = (await self.repo.outcomes([mutation.mutation_id]))[mutation.mutation_id]
                return self._replay(mutation.mutation_id, stored.result)
            if isinstance(rejection.error, CaseErased):
                return result  # nothing about an erased person is kept, not even in quarantine
            item_id = uuid.uuid4()
            plain, wrapped = self.vault.new_data_key(item_id)
            case_id, operation_id = await self._placement(mutation)
            self.repo.add_quarantined(
                Quarantined(
                    id=item_id,
                    mutation_id=mutation.mutation_id,
                    device_id=principal.device_id,
                    user_id=principal.user_id,
                    entity=mutation.entity,
                    record_id=mutation.id,
                    operation_id=operation_id,
                    case_id=case_id,
                    reason=msgspec.json.encode(problem).decode(),
                    payload=plain.seal(
                        msgspec.json.encode(mutation),
                        table="sync_quarantine",
                        column="payload",
                        row_id=str(item_id),
                    ),
                    wrapped_key=wrapped.wrapped,
                    master_key_id=wrapped.master_key_id,
                    status="waiting" if rejection.waiting else "open",
                    created_at=utcnow(),
                )
            )
        return result

    async def _placement(self, mutation: MutationIn) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """The case and operation a mutation concerns, so its coordinators see it in quarantine."""
        existing = await self.repo.cached_record(mutation.id)
        if existing is not None:
            return existing.case_id, existing.operation_id
        if mutation.entity == "case":
            return mutation.id, _uuid_or_none(mutation.data.get("operation_id"))
        case_id = _uuid_or_none(mutation.data.get("case_id"))
        case = await self.repo.cached_record(case_id) if case_id is not None else None
        return case_id, case.operation_id if case is not None else None

    async def _apply(
        self, principal: Principal, scope: set[uuid.UUID], mutation: MutationIn
    ) -> MutationResult:
        values = self._validated(mutation)
        existing = await self.repo.record(mutation.id, for_update=True)
        if existing is not None and existing.entity != mutation.entity:
            raise _rejected(f"id {mutation.id} already names a {existing.entity}", field_name="id")
        if mutation.op == "delete":
            if existing is None:
                raise Rejected(
                    NotFound(N_("The record to delete has not arrived yet.")), waiting=True
                )
            return await self._delete(principal, scope, mutation, existing)
        if existing is None:
            if mutation.base_rev:
                raise Rejected(
                    NotFound(N_("This update arrived before its record; it waits for it.")),
                    waiting=True,
                )
            return await self._create(principal, scope, mutation, values)
        return await self._update(principal, scope, mutation, existing, values)

    def _validated(self, mutation: MutationIn) -> dict[str, Any]:
        schema = ENTITIES[mutation.entity]
        try:
            decoded = msgspec.convert(mutation.data, type=schema, strict=False)
        except msgspec.ValidationError as exc:
            message = str(exc)
            path = "data"
            if " - at `$." in message:
                message, _, at = message.partition(" - at `$.")
                path = f"data.{at.rstrip('`')}"
            elif "Object contains unknown field" in message:
                name = message.split("`")[1] if "`" in message else ""
                path = f"data.{name}" if name else "data"
            raise _rejected(message, field_name=path) from None
        return {
            k: v
            for k, v in msgspec.to_builtins(decoded).items()
            if k in mutation.data  # only what the device sent
        }

    async def _case_for_write(
        self, principal: Principal, scope: set[uuid.UUID], case_id: uuid.UUID
    ) -> Record:
        case = await self.repo.cached_record(case_id)
        if case is None or case.entity != "case":
            raise Rejected(
                NotFound(N_("This record's case has not arrived yet; it waits for it.")),
                waiting=True,
            )
        self._check_scope(principal, scope, case)
        return case

    @staticmethod
    def _check_scope(
        principal: Principal, scope: set[uuid.UUID], case: Record | RecordBrief
    ) -> None:
        if case.operation_id not in scope:
            raise Rejected(Forbidden(N_("You are not a member of this record's operation.")))
        facets = msgspec.json.decode(case.facets)
        if not may_write_case(
            principal, created_by=case.created_by, assigned_to=facets.get("assigned_to")
        ):
            raise Rejected(
                Forbidden(
                    N_("Only the caseworker who created or was assigned a case writes to it.")
                )
            )

    async def _create(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
        mutation: MutationIn,
        values: dict[str, Any],
    ) -> MutationResult:
        missing = [f for f in REQUIRED[mutation.entity] if values.get(f) is None]
        if missing:
            raise Rejected(
                ValidationFailed(
                    N_("A new record lacks required fields."),
                    errors=[
                        _field_error(f"data.{f}", "required to create", "required") for f in missing
                    ],
                )
            )
        now = utcnow()
        if mutation.entity == "case":
            operation_id = uuid.UUID(str(values["operation_id"]))
            if operation_id not in scope:
                raise Rejected(Forbidden(N_("You are not a member of this operation.")))
            case_id = mutation.id
            key = self._new_case_key(case_id)
        else:
            case_id = uuid.UUID(str(values["case_id"]))
            case = await self._case_for_write(principal, scope, case_id)
            operation_id = case.operation_id
            found = await self._key(case_id)
            if found is None:
                raise Rejected(CaseErased())
            key = found
        values = self._assessed(mutation, values, {})
        facets, assigned = self._readable(mutation.entity, values)
        record = Record(
            id=mutation.id,
            entity=mutation.entity,
            case_id=case_id,
            operation_id=operation_id,
            created_by=principal.user_id,
            created_by_mutation=mutation.mutation_id,
            rev=1,
            schema_version=mutation.schema_version,
            body=self._seal(key, mutation.id, values),
            field_revs=msgspec.json.encode(dict.fromkeys(values, 1)).decode(),
            facets=facets,
            assigned_to=assigned,
            deleted=False,
            created_at=now,
            updated_at=now,
        )
        self.repo.add_record(record)
        await self.session.flush()
        self._log(record, "upsert")
        if record.entity == "case":
            await encode_case(self.session, self.runtime, record, values, compare=False)
        await self._release_waiting(principal, scope, record)
        return MutationResult(mutation_id=mutation.mutation_id, status="applied", rev=1)

    async def _update(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
        mutation: MutationIn,
        record: Record,
        values: dict[str, Any],
    ) -> MutationResult:
        case = record if record.entity == "case" else await self.repo.cached_record(record.case_id)
        assert case is not None
        self._check_scope(principal, scope, case)
        key = await self._key(record.case_id)
        if key is None:
            raise Rejected(CaseErased())
        current = self._open(key, record)
        if record.entity in IMMUTABLE or (
            record.entity == "screening" and current.get("completed_at")
        ):
            raise Rejected(
                ConflictError(
                    N_(
                        "A recorded consent or a completed screening never changes; send a new record that references it."
                    ),
                    errors=[_field_error("id", "immutable once recorded", "immutable")],
                )
            )
        if "operation_id" in values and str(values["operation_id"]) != str(
            current.get("operation_id")
        ):
            raise _rejected(
                "a case moves to another operation by transfer, not by sync",
                field_name="data.operation_id",
                code="transfer_required",
            )
        if "case_id" in values and str(values["case_id"]) != str(current.get("case_id")):
            raise _rejected("a record cannot move to another case", field_name="data.case_id")
        revs: dict[str, int] = msgspec.json.decode(record.field_revs)
        if mutation.base_rev is None:
            kind = "create_create"
        elif record.deleted:
            kind = "update_deleted"
        else:
            kind = "update_update"
        changed: dict[str, Any] = {}
        conflicts: list[FieldConflict] = []
        for name, value in values.items():
            if current.get(name) == value:
                continue
            base = mutation.base_rev
            if kind != "update_update" or base is None or revs.get(name, 0) > base:
                conflicts.append(
                    self._conflict(principal, mutation, record, key, name, value, kind)
                )
            else:
                changed[name] = value
        rev = record.rev
        if changed:
            rev = record.rev + 1
            merged = self._assessed(mutation, {**current, **changed}, current)
            for name in changed:
                revs[name] = rev
            for name in merged.keys() - current.keys() - changed.keys():
                revs[name] = rev  # server-made fields (an assessment)
            record.body = self._seal(key, record.id, merged)
            record.field_revs = msgspec.json.encode(revs).decode()
            record.facets, record.assigned_to = self._readable(record.entity, merged)
            record.rev = rev
            record.updated_at = utcnow()
            if record.entity == "case":
                await encode_case(self.session, self.runtime, record, merged, compare=False)
            reassigned = record.entity == "case" and "assigned_to" in changed
            if reassigned:
                self._purge_for_former_assignee(record, current.get("assigned_to"))
            self._log(record, "upsert")
            if reassigned and merged.get("assigned_to"):
                await self._send_to_assignee(record, merged["assigned_to"])
        return MutationResult(
            mutation_id=mutation.mutation_id,
            status="conflict" if conflicts else "applied",
            rev=rev,
            conflicts=conflicts or None,
        )

    def _conflict(
        self,
        principal: Principal,
        mutation: MutationIn,
        record: Record,
        key: PlainKey,
        name: str,
        value: Any,
        kind: str,
    ) -> FieldConflict:
        assert principal.device_id is not None
        conflict_id = uuid.uuid4()
        self.repo.add_conflict(
            Conflict(
                id=conflict_id,
                record_id=record.id,
                entity=record.entity,
                case_id=record.case_id,
                operation_id=record.operation_id,
                field=name[:64],
                kind=kind,
                device_value=key.seal(
                    msgspec.json.encode(value),
                    table="sync_conflicts",
                    column="device_value",
                    row_id=str(conflict_id),
                ),
                base_rev=mutation.base_rev,
                server_rev=record.rev,
                mutation_id=mutation.mutation_id,
                device_id=principal.device_id,
                user_id=principal.user_id,
                status="open",
                created_at=utcnow(),
            )
        )
        return FieldConflict(field=name, conflict_id=conflict_id)

    async def _delete(
        self, principal: Principal, scope: set[uuid.UUID], mutation: MutationIn, record: Record
    ) -> MutationResult:
        case = record if record.entity == "case" else await self.repo.record(record.case_id)
        assert case is not None
        self._check_scope(principal, scope, case)
        if record.entity in IMMUTABLE or record.entity == "screening":
            raise Rejected(
                ConflictError(
                    N_(
                        "Consents and screenings are never deleted from a device; a coordinator erases a case."
                    ),
                    errors=[_field_error("op", "cannot delete this entity by sync", "immutable")],
                )
            )
        if not record.deleted:
            record.deleted = True
            record.rev += 1
            record.updated_at = utcnow()
            self._log(record, "delete")
        return MutationResult(mutation_id=mutation.mutation_id, status="applied", rev=record.rev)

    def _assessed(
        self,
        mutation: MutationIn,
        values: dict[str, Any],
        before: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A screening completed by this mutation is assessed now; the result syncs back."""
        if mutation.entity != "screening" or not values.get("completed_at"):
            return values
        if before and before.get("completed_at"):
            return values
        completed = values["completed_at"]
        as_of = dt.datetime.fromisoformat(str(completed)).date()
        try:
            assessment = self.assessor.assess(
                instrument_key=str(values["instrument_key"]),
                instrument_version=int(values["instrument_version"]),
                answers=values.get("answers") or {},
                as_of=as_of,
                field_prefix="data.",
            )
        except ValidationFailed as exc:
            raise Rejected(exc) from None
        return {**values, "assessment": msgspec.to_builtins(assessment)}

    def _readable(self, entity: str, values: Mapping[str, Any]) -> tuple[str, uuid.UUID | None]:
        """The columns kept readable beside a sealed body: its facets, and a case's assignee."""
        assigned = _uuid_or_none(values.get("assigned_to")) if entity == "case" else None
        return msgspec.json.encode(self._facets(entity, values)).decode(), assigned

    def _facets(self, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """The non-identifying values triage filters on, kept readable.

        A nationality is personal data: it is kept only as a keyed blind index,
        which a filter can match but nobody can read back without the key.
        """
        if entity == "case":
            assigned = values.get("assigned_to")
            nationality = values.get("nationality")
            return {
                "case_code": values.get("case_code"),
                "age_group": _age_group(values, dt.date.today()),
                "assigned_to": str(assigned) if assigned else None,
                "nationality_tag": nationality_tag(self.runtime, nationality)
                if nationality
                else None,
            }
        if entity == "consent":
            return {
                "purpose": values.get("purpose"),
                "state": values.get("state"),
                "recorded_at": values.get("recorded_at"),
            }
        if entity == "referral":
            return {"service": values.get("service"), "status": values.get("status")}
        if entity == "disclosure":
            return {"kind": values.get("kind"), "role": values.get("role"), **_checked(values)}
        if entity == "screening":
            assessment = values.get("assessment") or {}
            return {
                "instrument_key": values.get("instrument_key"),
                "instrument_version": values.get("instrument_version"),
                "completed": bool(values.get("completed_at")),
                "band": assessment.get("band"),
                "flags": sorted(
                    f["flag"] if isinstance(f, dict) else str(f)
                    for f in assessment.get("flags") or []
                ),
            }
        return {}

    def _purge_for_former_assignee(self, case: Record, former: Any) -> None:
        """The former assignee's phones drop the case's full data (the creator keeps it)."""
        former_id = _uuid_or_none(former)
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

    async def _send_to_assignee(self, case: Record, assignee: Any) -> None:
        """The new assignee's phones receive the records the case already has."""
        assignee_id = _uuid_or_none(assignee)
        if assignee_id is None:
            return
        for child in await self.repo.children_of(case.id):
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

    def _log(self, record: Record, op: str) -> None:
        stage_projection(self.session, self.runtime, record, self._keys.get(record.case_id))
        self.repo.log_change(
            ChangeDraft(
                entity=record.entity,
                record_id=record.id,
                operation_id=record.operation_id,
                rev=record.rev,
                op=op,
            )
        )

    async def _pusher(
        self, item: Quarantined, principal: Principal, scope: set[uuid.UUID]
    ) -> tuple[Principal, set[uuid.UUID]]:
        """Who pushed a waiting mutation, with their rights: it is applied as theirs."""
        if item.user_id == principal.user_id:
            return principal, scope
        user = await self.users.get(item.user_id)
        role = Role(user.role) if user is not None and user.disabled_at is None else None
        pusher = Principal(
            user_id=item.user_id,
            username=user.username if user is not None else "",
            role=role or Role.INVESTIGATOR,  # a disabled or missing account writes nothing
            token_id=uuid.UUID(int=0),
            device_id=item.device_id,
        )
        their_scope = set(await self.operations.ids_for_member(item.user_id)) if role else set()
        return pusher, their_scope

    async def _release_waiting(
        self, principal: Principal, scope: set[uuid.UUID], record: Record
    ) -> None:
        """Apply what was waiting for this record (or, for a case, for its records)."""
        if record.id not in self._waiting:
            return
        waiting = await self.repo.waiting_for(record.id)
        if record.entity == "case":
            waiting += [w for w in await self.repo.waiting_for_case(record.id) if w not in waiting]
        # What waits on the records released here is released with them.
        self._waiting |= await self.repo.waiting_among({w.record_id for w in waiting})
        for item in waiting:
            mutation = self._quarantined_mutation(item)
            pusher, pusher_scope = await self._pusher(item, principal, scope)
            item.status = "applied"  # so releasing what waits on it does not pick it up again
            try:
                async with savepoint(self.session):
                    result = await self._apply(pusher, pusher_scope, mutation)
                    await self._settle(result)
            except Rejected as rejection:
                item.status = "waiting" if rejection.waiting else "open"
                if not rejection.waiting:
                    item.reason = msgspec.json.encode(problem_for(rejection.error)).decode()
                    await self._settle(
                        MutationResult(
                            mutation_id=mutation.mutation_id,
                            status="rejected",
                            problem=problem_for(rejection.error),
                        )
                    )
                continue
            item.resolved_at = utcnow()

    # -- pull -------------------------------------------------------------------------

    async def pull(self, principal: Principal, *, cursor: str | None, limit: int) -> PullResponse:
        """The next page of changes in the caller's scope.

        Raises:
            ResyncRequired: the cursor is from another epoch (the server was restored).
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
        """Changes as a device receives them; bodies go out as the JSON they were sealed as."""
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
            if row.deleted or row.op == "delete":
                out.append(
                    Change(entity=row.record_entity, id=row.record_id, op="delete", rev=row.rev)
                )
                continue
            if row.rev < row.record_rev:
                continue  # a later change of this record follows in the log
            key = self._keys.get(row.case_id) if row.case_id is not None else None
            data: Any = None
            if row.full and row.body is not None and key is not None:
                data = msgspec.Raw(open_body_json(key, row.record_id, row.body))
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

    # -- conflicts and quarantine (coordinators) ----------------------------------------

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
        await self._load_keys({r.case_id for r in rows})
        out = []
        for row in rows:
            key = self._keys.get(row.case_id)
            record = records.get(row.record_id)
            device_value = server_value = None
            if key is not None:
                device_value = self._device_value(key, row)
                if record is not None:
                    server_value = self._open(key, record).get(row.field)
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
            key = await self._key(row.case_id)
            if record is None or key is None:
                raise ConflictError(N_("The record is gone; keep the server's value."))
            value = self._device_value(key, row)
            current = self._open(key, record)
            former = current.get(row.field)
            revs: dict[str, int] = msgspec.json.decode(record.field_revs)
            record.rev += 1
            current[row.field] = value
            revs[row.field] = record.rev
            record.body = self._seal(key, record.id, current)
            record.field_revs = msgspec.json.encode(revs).decode()
            record.facets, record.assigned_to = self._readable(record.entity, current)
            record.deleted = False
            record.updated_at = utcnow()
            reassigned = record.entity == "case" and row.field == "assigned_to" and former != value
            if reassigned:
                self._purge_for_former_assignee(record, former)
            self._log(record, "upsert")
            if reassigned and value:
                await self._send_to_assignee(record, value)
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
            payload = msgspec.to_builtins(self._quarantined_mutation(row))
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


def nationality_tag(runtime: Runtime, nationality: str) -> str:
    """The keyed blind index of a nationality (what triage filters match on)."""
    return pseudonym(runtime.keyring, "blind-index", "nationality", nationality.upper())[:16].hex()


def _checked(values: Mapping[str, Any]) -> dict[str, Any]:
    """Whether a disclosed wallet or transaction id is valid, and on which chains.

    The value stays as entered (a typo is never corrected or dropped); an invalid
    one is marked with the reason so a coordinator can ask again. Only the
    verdict is kept readable: the address itself stays sealed, since a victim's
    own wallet is personal data.
    """
    raw = values.get("raw")
    chain = values.get("chain")
    kind = values.get("kind")
    if not isinstance(raw, str) or kind not in {"wallet", "transaction"}:
        return {}
    known_chain = chain if chain in CHAINS else None
    try:
        if kind == "wallet":
            chains = sorted({c.chain for c in normalize(raw, known_chain)})
        elif known_chain is None:
            return {"check": "unchecked", "check_reason": "no known chain given"}
        else:
            normalize_txid(raw, known_chain)
            chains = [known_chain]
    except InvalidValue as exc:
        return {"check": "invalid", "check_code": exc.code, "check_reason": exc.reason}
    return {"check": "valid", "chains": chains}


class _Planned(NamedTuple):
    """A create the fast path writes: its place in the batch, the row, and the values sealed in it."""

    position: int
    mutation: MutationIn
    row: dict[str, Any]
    values: dict[str, Any]


class _BulkFailed(Exception):
    """The fast path met a concurrent push: undo it, take the slow path."""


class _AlreadyClaimed(Exception):
    """The mutation id was claimed by a transaction that committed first."""


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
