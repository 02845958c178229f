"""How a pushed mutation is applied: every mutation gets a durable outcome, nothing is lost.

Push applies each mutation atomically on its own (a savepoint), so one bad
mutation never blocks the others. Its outcome is stored under the mutation's
client-made id before the transaction commits: the same device pushing it
again gets the stored outcome and changes nothing. A rejected mutation is
kept, sealed, in quarantine for a coordinator; an update that arrives before
its record's create waits there and is applied when the create arrives. An
update carries the revision it was based on: fields nobody else changed since
then merge; a field changed on both sides keeps the server's value and the
device's value becomes a conflict for a coordinator to resolve.

A batch's plain creates take a fast path (:mod:`backend.sync.bulk`); the rest
is applied here one savepoint at a time. Both write through the record store
(:mod:`backend.sync.records`), so they store the same rows.
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog
from backend.db.base import utcnow
from backend.db.models import Quarantined
from backend.db.session import savepoint
from backend.errors import (
    CaseErased,
    FieldError,
    Forbidden,
    PayloadTooLarge,
    ValidationFailed,
)
from backend.i18n import N_
from backend.problems import problem_for
from backend.runtime import Runtime
from backend.sync.apply import MutationApplier
from backend.sync.bulk import BulkPath
from backend.sync.facets import uuid_or_none
from backend.sync.rules import (
    Rejected,
)
from backend.sync.schemas import (
    MAX_BATCH,
    MutationIn,
    MutationResult,
    PushRequest,
)

__all__ = ["PushService"]


class PushService:
    """Apply one device's batches."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.applier = MutationApplier(session, runtime)
        self.store = self.applier.store
        self.repo = self.store.repo
        self.operations = self.applier.operations
        self.audit = AuditLog(session, runtime.keyring)

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
        stored_rows = await self.repo.outcomes([m.mutation_id for m in request.mutations])
        seen: dict[uuid.UUID, str] = {}
        taken: set[uuid.UUID] = set()  # ids another device used first: never replayed here
        for mutation_id, row in stored_rows.items():
            if row.device_id == principal.device_id and row.user_id == principal.user_id:
                seen[mutation_id] = row.result
            else:
                taken.add(mutation_id)
        self.applier.waiting = await self.repo.waiting_among({m.id for m in request.mutations})
        results: dict[int, MutationResult] = {}
        for index, mutation in enumerate(request.mutations):
            if mutation.mutation_id in taken:
                results[index] = _taken(mutation.mutation_id)
            elif (stored := seen.get(mutation.mutation_id)) is not None:
                results[index] = _replay(mutation.mutation_id, stored)
        bulk = BulkPath(self, principal, scope)
        applied = await bulk.apply(request.mutations, results)
        for done in applied.values():
            seen[done.mutation_id] = msgspec.json.encode(done).decode()
        results.update(applied)
        tally: dict[str, int] = {}
        for index, mutation in enumerate(request.mutations):
            result = results.get(index)
            if result is None:
                stored = seen.get(mutation.mutation_id)
                if stored is not None:  # the same id earlier in this batch
                    result = _replay(mutation.mutation_id, stored)
                else:
                    result = await self._push_one(principal, scope, mutation)
                    if result.status != "duplicate":
                        seen[mutation.mutation_id] = msgspec.json.encode(result).decode()
                results[index] = result
            tally[result.status] = tally.get(result.status, 0) + 1
        self.audit.record(
            AuditEvent(
                action="sync.push",
                actor_id=principal.user_id,
                actor_role=principal.role,
                device_id=principal.device_id,
                detail={"mutations": len(request.mutations), **tally},
            )
        )
        return [results[index] for index in range(len(request.mutations))]

    # -- one mutation -----------------------------------------------------------------

    async def _push_one(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
        mutation: MutationIn,
        *,
        retried: bool = False,
    ) -> MutationResult:
        keys_before = set(self.store.keys)
        try:
            try:
                async with savepoint(self.session):
                    result = await self.applier.apply(principal, scope, mutation)
                    if not await self.store_outcome(principal, mutation, result):
                        raise _AlreadyClaimed  # undoes this savepoint's work
                    return result
            except BaseException:
                # A data key made in a rolled-back savepoint was never stored: forget it.
                self.store.forget_keys(set(self.store.keys) - keys_before)
                raise
        except _AlreadyClaimed:
            return await self._claimed(principal, mutation)
        except IntegrityError:
            # Another request wrote the same mutation id, or created the same record
            # id, at the same moment and committed first: replay its outcome, or apply
            # this mutation again against what is there now (a create-create conflict).
            found = (await self.repo.outcomes([mutation.mutation_id])).get(mutation.mutation_id)
            if found is not None:
                return await self._claimed(principal, mutation)
            if retried:
                raise
            return await self._push_one(principal, scope, mutation, retried=True)
        except Rejected as rejection:
            return await self._quarantine(principal, scope, mutation, rejection)

    async def _claimed(self, principal: Principal, mutation: MutationIn) -> MutationResult:
        """The outcome stored first under this mutation id: replayed only to its own device."""
        stored = (await self.repo.outcomes([mutation.mutation_id]))[mutation.mutation_id]
        if stored.device_id != principal.device_id or stored.user_id != principal.user_id:
            return _taken(mutation.mutation_id)
        return _replay(mutation.mutation_id, stored.result)

    async def store_outcome(
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

    async def _quarantine(
        self,
        principal: Principal,
        scope: set[uuid.UUID],
        mutation: MutationIn,
        rejection: Rejected,
    ) -> MutationResult:
        """Keep what could not be applied, sealed under a key of its own; never drop it.

        It is filed with the operation it concerns only when the sender belongs
        to it; an outsider's refused write is filed with no operation, where only
        the sender and their own coordinators see it.
        """
        assert principal.device_id is not None
        problem = problem_for(rejection.error)
        result = MutationResult(
            mutation_id=mutation.mutation_id,
            status="waiting" if rejection.waiting else "rejected",
            problem=problem,
        )
        if rejection.waiting:
            self.applier.waiting.add(mutation.id)
            case_ref = uuid_or_none(mutation.data.get("case_id"))
            if case_ref is not None:
                self.applier.waiting.add(case_ref)
        async with savepoint(self.session):
            if not await self.store_outcome(principal, mutation, result):
                return await self._claimed(principal, mutation)
            if isinstance(rejection.error, CaseErased):
                return result  # nothing about an erased person is kept, not even in quarantine
            item_id = uuid.uuid4()
            plain, wrapped = self.store.vault.new_data_key(item_id)
            case_id, operation_id = await self._placement(mutation)
            if operation_id is not None and operation_id not in scope:
                case_id = operation_id = None
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
            return mutation.id, uuid_or_none(mutation.data.get("operation_id"))
        case_id = uuid_or_none(mutation.data.get("case_id"))
        case = await self.repo.cached_record(case_id) if case_id is not None else None
        return case_id, case.operation_id if case is not None else None


def _replay(mutation_id: uuid.UUID, stored: str) -> MutationResult:
    original = msgspec.json.decode(stored.encode(), type=MutationResult)
    return MutationResult(
        mutation_id=mutation_id,
        status="duplicate",
        rev=original.rev,
        problem=original.problem,
        conflicts=original.conflicts,
    )


def _taken(mutation_id: uuid.UUID) -> MutationResult:
    """Another device used this mutation id first: nothing is replayed, nothing is applied.

    The device is told to send the mutation again under a new id; what it sent
    stays on the phone, so nothing is lost.
    """
    error = ValidationFailed(
        N_("This mutation id was used by another device; send the change again with a new id."),
        errors=[
            FieldError(
                field="mutation_id",
                reason="already used by another device",
                location="body",
                code="mutation_id_taken",
            )
        ],
    )
    return MutationResult(mutation_id=mutation_id, status="rejected", problem=problem_for(error))


class _AlreadyClaimed(Exception):
    """The mutation id was claimed by a transaction that committed first."""
