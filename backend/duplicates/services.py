"""Possible duplicates for coordinators: list them, merge or dismiss them, undo a merge.

How cases are encoded and pairs proposed is :mod:`backend.duplicates.encodings`
(re-exported here for sync, erasure and the CLI). :class:`DuplicateService`
lists proposals to coordinators of both cases' operations, with the reasons
they were made (which fields agreed); it merges (links the two cases, naming
the primary one; both stay, with their histories), dismisses, and undoes a
merge (the pair is open again; neither case was ever changed). Every step is
audited.
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.db.base import utcnow
from backend.duplicates.encodings import (
    PROPOSE_AT,
    ScanReport,
    encode_case,
    forget_case,
    match_pending,
    person_of,
    scan,
)
from backend.duplicates.repositories import DuplicateRepository, ProposalRow
from backend.duplicates.schemas import CaseSide, DuplicateOut
from backend.errors import Conflict, FieldError, NotFound, ValidationFailed
from backend.i18n import N_
from backend.matching import reasons
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime

__all__ = [
    "PROPOSE_AT",
    "DuplicateService",
    "ScanReport",
    "encode_case",
    "forget_case",
    "match_pending",
    "person_of",
    "scan",
]


def _side(case_id: uuid.UUID, operation_id: uuid.UUID, facets: str | None) -> CaseSide:
    code = msgspec.json.decode(facets).get("case_code") if facets else None
    return CaseSide(id=case_id, case_code=code, operation_id=operation_id)


def _out(found: ProposalRow) -> DuplicateOut:
    row = found.proposal
    return DuplicateOut(
        id=row.id,
        left=_side(row.left_case_id, found.left_operation_id, found.left_facets),
        right=_side(row.right_case_id, found.right_operation_id, found.right_facets),
        score=row.score,
        name_similarity=row.name_similarity,
        birth_year=row.birth_year,  # type: ignore[arg-type]
        nationality=row.nationality,  # type: ignore[arg-type]
        sex=row.sex,  # type: ignore[arg-type]
        birth_day=row.birth_day,  # type: ignore[arg-type]
        documents=row.documents,  # type: ignore[arg-type]
        contacts=row.contacts,  # type: ignore[arg-type]
        reasons=reasons(
            {
                "birth_year": row.birth_year,
                "birth_day": row.birth_day,
                "nationality": row.nationality,
                "sex": row.sex,
                "documents": row.documents,
                "contacts": row.contacts,
            },
            row.name_similarity,
        ),
        status=row.status,  # type: ignore[arg-type]
        primary_case_id=row.primary_case_id,
        decided_at=row.decided_at,
        created_at=row.created_at,
    )


class DuplicateService:
    """Proposals for coordinators of both cases' operations; merges and dismissals."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.repo = DuplicateRepository(session)
        self.operations = OperationRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    def _refused(
        self, principal: Principal, object_type: str, object_id: uuid.UUID, action: str
    ) -> NotFound:
        return refused_as_not_found(
            N_("No such possible duplicate among your operations."),
            keyring=self.runtime.keyring,
            action=action,
            actor_id=principal.user_id,
            actor_role=principal.role,
            object_type=object_type,
            object_id=object_id,
        )

    async def _mine(self, principal: Principal) -> set[uuid.UUID]:
        return set(await self.operations.ids_for_member(principal.user_id))

    async def list(
        self,
        principal: Principal,
        *,
        operation_id: uuid.UUID,
        status: str | None,
        limit: int,
        offset: int,
    ) -> list[DuplicateOut]:
        """Proposals touching one of the caller's operations, best first (an audited read).

        Raises:
            NotFound: the operation is not one of the caller's (audited).
        """
        mine = await self._mine(principal)
        if operation_id not in mine:
            raise self._refused(principal, "operation", operation_id, "duplicate.list")
        rows = await self.repo.page(
            mine, operation_id=operation_id, status=status, limit=limit, offset=offset
        )
        self.audit.record(
            AuditEvent(
                action="duplicate.list",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="operation",
                object_id=str(operation_id),
                detail={"status": status, "results": len(rows)},
            )
        )
        return [_out(row) for row in rows]

    async def _decide(
        self,
        principal: Principal,
        proposal_id: uuid.UUID,
        *,
        status: str,
        primary: uuid.UUID | None,
    ) -> DuplicateOut:
        action = "duplicate.merge" if status == "merged" else "duplicate.dismiss"
        found = await self.repo.one(proposal_id, await self._mine(principal))
        if found is None:
            raise self._refused(principal, "duplicate", proposal_id, action)
        row = found.proposal
        if primary is not None and primary not in (row.left_case_id, row.right_case_id):
            raise ValidationFailed(
                N_("The primary case must be one of the two cases of the proposal."),
                errors=[
                    FieldError(
                        field="primary_case_id",
                        reason="not one of the two cases",
                        location="body",
                        code="not_in_pair",
                    )
                ],
            )
        now = utcnow()
        if not await self.repo.decide(
            proposal_id, status=status, primary=primary, by=principal.user_id, at=now
        ):
            raise Conflict(N_("This possible duplicate was already merged or dismissed."))
        self.audit.record(
            AuditEvent(
                action=action,
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="duplicate",
                object_id=str(proposal_id),
                detail={"primary_case_id": str(primary) if primary else None},
            )
        )
        row.status, row.primary_case_id, row.decided_at = status, primary, now
        return _out(found)

    async def merge(
        self, principal: Principal, proposal_id: uuid.UUID, *, primary_case_id: uuid.UUID
    ) -> DuplicateOut:
        """Link the two cases as one person, ``primary_case_id`` first; neither is deleted.

        Raises:
            NotFound: not a proposal whose two cases are in the caller's operations (audited).
            ValidationFailed: the primary case is not one of the two.
            Conflict: the proposal was already decided.
        """
        return await self._decide(principal, proposal_id, status="merged", primary=primary_case_id)

    async def dismiss(self, principal: Principal, proposal_id: uuid.UUID) -> DuplicateOut:
        """Record that the two cases are different people; the pair is never proposed again.

        Raises:
            NotFound: not a proposal whose two cases are in the caller's operations (audited).
            Conflict: the proposal was already decided.
        """
        return await self._decide(principal, proposal_id, status="dismissed", primary=None)

    async def unmerge(self, principal: Principal, proposal_id: uuid.UUID) -> DuplicateOut:
        """Undo a merge: the two cases are no longer linked, and the pair is open again.

        Neither case was changed by the merge, so nothing else is undone; the
        merge stays in the audit log, followed by its undoing.

        Raises:
            NotFound: not a proposal whose two cases are in the caller's operations (audited).
            Conflict: the proposal is not merged (open, dismissed, or undone already).
        """
        action = "duplicate.unmerge"
        found = await self.repo.one(proposal_id, await self._mine(principal))
        if found is None:
            raise self._refused(principal, "duplicate", proposal_id, action)
        row = found.proposal
        undone = row.primary_case_id
        if not await self.repo.reopen(proposal_id, at=utcnow()):
            raise Conflict(N_("Only a merged possible duplicate can be unmerged."))
        self.audit.record(
            AuditEvent(
                action=action,
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="duplicate",
                object_id=str(proposal_id),
                detail={"primary_case_id": str(undone) if undone else None},
            )
        )
        row.status, row.primary_case_id, row.decided_at = "open", None, None
        return _out(found)
