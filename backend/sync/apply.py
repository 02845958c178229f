"""How one pushed mutation is applied, inside its own savepoint (push.py runs the batch).

Validation and scope, create, update (fields nobody else changed since the
mutation's base revision merge; a field changed on both sides is a conflict),
delete, and what waited for a record. Every write goes through the record store.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.access.roles import Role
from backend.crypto.vault import DataKey as PlainKey
from backend.db.base import utcnow
from backend.db.models import Conflict, Quarantined, Record
from backend.db.session import savepoint
from backend.errors import (
    CaseErased,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from backend.errors import (
    Conflict as ConflictError,
)
from backend.i18n import N_
from backend.operations.repositories import OperationRepository
from backend.problems import problem_for
from backend.runtime import Runtime
from backend.screenings.services import ScreeningAssessor
from backend.sync.entities import IMMUTABLE, REFERRAL_NEXT, REQUIRED
from backend.sync.facets import uuid_or_none
from backend.sync.records import RecordStore, UnreadableRecord
from backend.sync.rules import (
    Rejected,
    check_scope,
    foreign_id,
    open_quarantined,
    rejected,
    validated,
)
from backend.sync.schemas import (
    FieldConflict,
    MutationIn,
    MutationResult,
)
from backend.users.repositories import UserRepository

__all__ = ["MutationApplier"]


class MutationApplier:
    """Applies mutations for one push (one transaction)."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.store = RecordStore(session, runtime)
        self.repo = self.store.repo
        self.operations = OperationRepository(session)
        self.users = UserRepository(session)
        self.assessor = ScreeningAssessor(runtime.instruments)
        #: Record and case ids with mutations waiting for them (checked once per batch).
        self.waiting: set[uuid.UUID] = set()
        #: Caseworkers of each operation, as asked (who ``assigned_to`` may name).
        self._caseworkers: dict[uuid.UUID, set[uuid.UUID]] = {}

    async def apply(
        self, principal: Principal, scope: set[uuid.UUID], mutation: MutationIn
    ) -> MutationResult:
        """Apply one mutation (inside the caller's savepoint).

        Raises:
            Rejected: it cannot be applied (now, or while it waits for its record).
        """
        try:
            return await self._apply(principal, scope, mutation)
        except CaseErased as erased:
            raise Rejected(erased) from None
        except UnreadableRecord:
            raise Rejected(
                ConflictError(
                    N_("The stored record cannot be read; a coordinator must restore it first."),
                    errors=[
                        FieldError(
                            field="id",
                            reason="stored record unreadable",
                            location="body",
                            code="unreadable",
                        )
                    ],
                )
            ) from None

    async def _apply(
        self, principal: Principal, scope: set[uuid.UUID], mutation: MutationIn
    ) -> MutationResult:
        values = validated(mutation)
        existing = await self.repo.record(mutation.id, for_update=True)
        if existing is not None and existing.operation_id not in scope:
            # Another operation's record: answered as for an id never seen, so the
            # answer says nothing about what exists elsewhere.
            if mutation.op == "delete" or mutation.base_rev:
                raise Rejected(
                    NotFound(N_("This update arrived before its record; it waits for it.")),
                    waiting=True,
                )
            raise foreign_id()
        if existing is not None and existing.entity != mutation.entity:
            raise rejected("this id names another kind of record", field_name="id")
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

    async def case_for_write(
        self, principal: Principal, scope: set[uuid.UUID], case_id: uuid.UUID
    ) -> Record:
        """The case a new record belongs to, if the caller may write to it.

        Raises:
            Rejected: the case has not arrived (the record waits), or is not the caller's.
        """
        case = await self.repo.cached_record(case_id)
        if case is None or case.entity != "case" or case.operation_id not in scope:
            raise Rejected(
                NotFound(N_("This record's case has not arrived yet; it waits for it.")),
                waiting=True,
            )
        check_scope(principal, scope, case)
        return case

    async def check_assignee(self, operation_id: uuid.UUID, values: Mapping[str, Any]) -> None:
        """A case may be assigned only to a caseworker of its own operation.

        Raises:
            Rejected: ``assigned_to`` names anyone else (another operation's
                caseworker, an investigator, an unknown id).
        """
        if "assigned_to" not in values or values["assigned_to"] is None:
            return
        if operation_id not in self._caseworkers:
            self._caseworkers[operation_id] = set(
                await self.operations.member_ids(operation_id, role=Role.CASEWORKER)
            )
        if uuid_or_none(values["assigned_to"]) not in self._caseworkers[operation_id]:
            raise rejected(
                "must name a caseworker of the case's operation",
                field_name="data.assigned_to",
                code="not_a_member",
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
                        FieldError(
                            field=f"data.{f}",
                            reason="required to create",
                            location="body",
                            code="required",
                        )
                        for f in missing
                    ],
                )
            )
        if mutation.entity == "case":
            operation_id = uuid.UUID(str(values["operation_id"]))
            if operation_id not in scope:
                raise Rejected(Forbidden(N_("You are not a member of this operation.")))
            await self.check_assignee(operation_id, values)
            case_id = mutation.id
            self.store.new_case_key(case_id)
            key = self.store.keys[case_id]
        else:
            case_id = uuid.UUID(str(values["case_id"]))
            case = await self.case_for_write(principal, scope, case_id)
            operation_id = case.operation_id
            key = await self.store.required_key(case_id)
        self.check_consent_time(mutation, values)
        values = self.assessed(mutation, values, {})
        row = self.store.new_row(
            entity=mutation.entity,
            record_id=mutation.id,
            case_id=case_id,
            operation_id=operation_id,
            created_by=principal.user_id,
            created_by_mutation=mutation.mutation_id,
            schema_version=mutation.schema_version,
            values=values,
            key=key,
        )
        record = await self.store.create(row, values)
        await self._release_waiting(principal, scope, record)
        return MutationResult(mutation_id=mutation.mutation_id, status="applied", rev=1)

    def check_consent_time(self, mutation: MutationIn, values: Mapping[str, Any]) -> None:
        """A consent recorded in the future (a phone's clock far ahead) is refused.

        The server orders consents by when it received them; ``recorded_at`` is
        what the phone says, kept for the record, and may not be later than the
        server's clock plus the tolerance.
        """
        if mutation.entity != "consent" or "recorded_at" not in values:
            return
        recorded = dt.datetime.fromisoformat(str(values["recorded_at"]))
        if recorded.tzinfo is None:
            recorded = recorded.replace(tzinfo=dt.UTC)
        tolerance = dt.timedelta(seconds=self.runtime.settings.clock_tolerance_seconds)
        if recorded > utcnow() + tolerance:
            raise rejected(
                "later than the server's clock allows; check the phone's date and time",
                field_name="data.recorded_at",
                code="in_the_future",
            )

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
        check_scope(principal, scope, case)
        key = await self.store.required_key(record.case_id)
        current = self.store.open(key, record)
        if record.entity in IMMUTABLE or (
            record.entity == "screening" and current.get("completed_at")
        ):
            raise Rejected(
                ConflictError(
                    N_(
                        "A recorded consent or a completed screening never changes; send a new record that references it."
                    ),
                    errors=[
                        FieldError(
                            field="id",
                            reason="immutable once recorded",
                            location="body",
                            code="immutable",
                        )
                    ],
                )
            )
        if "operation_id" in values and str(values["operation_id"]) != str(
            current.get("operation_id")
        ):
            raise rejected(
                "a case moves to another operation by transfer, not by sync",
                field_name="data.operation_id",
                code="transfer_required",
            )
        if "case_id" in values and str(values["case_id"]) != str(current.get("case_id")):
            raise rejected("a record cannot move to another case", field_name="data.case_id")
        if record.entity == "case" and values.get("assigned_to") != current.get("assigned_to"):
            await self.check_assignee(record.operation_id, values)
        revs: dict[str, int] = msgspec.json.decode(record.field_revs)
        if mutation.base_rev is None:
            kind = "create_create"
        elif record.deleted:
            kind = "update_deleted"
        else:
            kind = "update_update"
        own_revs = await self._own_revisions(principal, record, mutation.base_rev, revs, values)
        changed: dict[str, Any] = {}
        conflicts: list[FieldConflict] = []
        for name, value in values.items():
            if current.get(name) == value:
                continue
            base = mutation.base_rev
            newer = revs.get(name, 0)
            if kind != "update_update" or base is None or (newer > base and newer not in own_revs):
                conflicts.append(
                    self._conflict(principal, mutation, record, key, name, value, kind)
                )
            else:
                changed[name] = value
        if record.entity == "referral" and "status" in changed:
            self._check_referral_move(str(current.get("status")), str(changed["status"]))
        rev = record.rev
        if changed:
            merged = self.assessed(mutation, {**current, **changed}, current)
            rev = await self.store.revise(record, key, merged, changed)
        return MutationResult(
            mutation_id=mutation.mutation_id,
            status="conflict" if conflicts else "applied",
            rev=rev,
            conflicts=conflicts or None,
        )

    async def _own_revisions(
        self,
        principal: Principal,
        record: Record,
        base: int | None,
        revs: Mapping[str, int],
        values: Mapping[str, Any],
    ) -> set[int]:
        """Revisions after ``base`` that this very device made.

        Edits a phone queued offline all carry the last revision it saw; the
        later ones are not in conflict with the earlier ones it sent itself.
        """
        if base is None:
            return set()
        newer = {revs.get(name, 0) for name in values if revs.get(name, 0) > base}
        if not newer:
            return set()
        assert principal.device_id is not None
        return await self.repo.revisions_by_device(record.id, principal.device_id, newer)

    @staticmethod
    def _check_referral_move(current: str, wanted: str) -> None:
        if wanted not in REFERRAL_NEXT.get(current, frozenset()):
            raise Rejected(
                ConflictError(
                    N_("A referral cannot move there from its current status."),
                    errors=[
                        FieldError(
                            field="data.status",
                            reason="not a step the referral workflow allows from its status",
                            location="body",
                            code="workflow",
                        )
                    ],
                )
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
        check_scope(principal, scope, case)
        if record.entity in IMMUTABLE or record.entity == "screening":
            raise Rejected(
                ConflictError(
                    N_(
                        "Consents and screenings are never deleted from a device; a coordinator erases a case."
                    ),
                    errors=[
                        FieldError(
                            field="op",
                            reason="cannot delete this entity by sync",
                            location="body",
                            code="immutable",
                        )
                    ],
                )
            )
        await self.store.tombstone(record)
        return MutationResult(mutation_id=mutation.mutation_id, status="applied", rev=record.rev)

    def assessed(
        self,
        mutation: MutationIn,
        values: dict[str, Any],
        before: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A screening completed by this mutation is assessed now; the result syncs back.

        Raises:
            Rejected: the answers do not fit the instrument.
        """
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

    # -- what waited for a record ----------------------------------------------------------

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
        if record.id not in self.waiting:
            return
        waiting = await self.repo.waiting_for(record.id)
        if record.entity == "case":
            waiting += [w for w in await self.repo.waiting_for_case(record.id) if w not in waiting]
        # What waits on the records released here is released with them.
        self.waiting |= await self.repo.waiting_among({w.record_id for w in waiting})
        for item in waiting:
            mutation = open_quarantined(self.store.vault, item)
            pusher, pusher_scope = await self._pusher(item, principal, scope)
            item.status = "applied"  # so releasing what waits on it does not pick it up again
            try:
                async with savepoint(self.session):
                    result = await self.apply(pusher, pusher_scope, mutation)
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

    async def _settle(self, result: MutationResult) -> None:
        await self.repo.settle(
            result.mutation_id,
            status=result.status,
            rev=result.rev,
            result=msgspec.json.encode(result).decode(),
        )
