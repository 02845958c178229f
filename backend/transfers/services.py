"""Transfer: a case moves to another operation only when a coordinator there accepts.

On acceptance the case and every record of it (tombstones, conflicts and
quarantine too) take the new operation's id in one transaction; sync logs a
purge of the case for the old operation's phones and every record again for
the new operation's devices, so the data leaves the phones that should no
longer hold it and reaches those that now should.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.cases.services import CaseService
from backend.db.base import utcnow
from backend.db.models import CaseTransfer
from backend.errors import Conflict, FieldError, ValidationFailed
from backend.i18n import N_
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime
from backend.sync.server_writes import ServerWriter
from backend.transfers.repositories import TransferRepository
from backend.transfers.schemas import TransferCreate, TransferDestination, TransferOut

__all__ = ["TransferService", "transfer_out"]


def transfer_out(transfer: CaseTransfer) -> TransferOut:
    """A transfer as the API shows it."""
    return TransferOut(
        id=transfer.id,
        case_id=transfer.case_id,
        from_operation=transfer.from_operation,
        to_operation=transfer.to_operation,
        status=transfer.status,  # type: ignore[arg-type]
        proposed_by=transfer.proposed_by,
        proposed_at=transfer.proposed_at,
        decided_by=transfer.decided_by,
        decided_at=transfer.decided_at,
    )


class TransferService:
    """Propose, list, accept and decline transfers of the caller's operations."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.cases = CaseService(session, runtime)
        self.transfers = TransferRepository(session)
        self.operations = OperationRepository(session)
        self.writer = ServerWriter(session, runtime)
        self.audit = AuditLog(session, runtime.keyring)

    def _record(self, principal: Principal, action: str, transfer: CaseTransfer) -> None:
        self.audit.record(
            AuditEvent(
                action=action,
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="transfer",
                object_id=str(transfer.id),
                detail={
                    "case": str(transfer.case_id),
                    "from": str(transfer.from_operation),
                    "to": str(transfer.to_operation),
                },
            )
        )

    async def propose(
        self, principal: Principal, case_id: uuid.UUID, data: TransferCreate
    ) -> TransferOut:
        """Offer a case of an operation the caller coordinates to another operation.

        Raises:
            NotFound: not a live case of the caller's operations (audited).
            ValidationFailed: no such target operation, or the case's own.
            Conflict: a transfer of this case is already pending.
        """
        case = await self.cases.coordinated_case(
            principal, case_id, action="transfer.propose", lock=True
        )
        reason = None
        if data.to_operation == case.operation_id:
            reason = "the case is already in this operation"
        elif not await self.transfers.operation_exists(data.to_operation):
            reason = "no such operation"
        if reason is not None:
            raise ValidationFailed(
                errors=[FieldError(field="to_operation", reason=reason, location="body")]
            )
        if await self.transfers.pending_for_case(case.id) is not None:
            raise Conflict(
                N_("A transfer of this case is already waiting for an answer."),
                errors=[
                    FieldError(
                        field="case_id",
                        reason="a transfer is pending",
                        location="path",
                        code="pending",
                    )
                ],
            )
        transfer = CaseTransfer(
            id=uuid.uuid4(),
            case_id=case.id,
            from_operation=case.operation_id,
            to_operation=data.to_operation,
            status="pending",
            proposed_by=principal.user_id,
            proposed_at=utcnow(),
        )
        self.transfers.add(transfer)
        self._record(principal, "transfer.propose", transfer)
        return transfer_out(transfer)

    async def destinations(self, *, limit: int = 500) -> list[TransferDestination]:
        """Operations a case may be offered to, by name: names and countries only.

        A coordinator must be able to name the receiving operation without
        being one of its members; nothing of its cases or members is shown.
        """
        found = await self.operations.list_all(limit=limit, offset=0)
        return [TransferDestination(id=o.id, name=o.name, country=o.country) for o in found]

    async def listed(
        self,
        principal: Principal,
        *,
        direction: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> list[TransferOut]:
        """Transfers to or from the caller's operations."""
        scope = await self.operations.ids_for_member(principal.user_id)
        found = await self.transfers.listed(
            scope, direction=direction, status=status, limit=limit, offset=offset
        )
        return [transfer_out(t) for t in found]

    async def _incoming(
        self, principal: Principal, transfer_id: uuid.UUID, action: str
    ) -> CaseTransfer:
        scope = await self.operations.ids_for_member(principal.user_id)
        transfer = await self.transfers.incoming(transfer_id, scope)
        if transfer is None:
            raise refused_as_not_found(
                N_("No such transfer to your operations."),
                keyring=self.runtime.keyring,
                action=action,
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="transfer",
                object_id=transfer_id,
            )
        if transfer.status != "pending":
            raise Conflict(
                N_("This transfer has already been answered."),
                errors=[
                    FieldError(
                        field="status",
                        reason=f"the transfer is {transfer.status}",
                        location="path",
                        code="answered",
                    )
                ],
            )
        return transfer

    async def accept(self, principal: Principal, transfer_id: uuid.UUID) -> TransferOut:
        """Accept a transfer to an operation the caller coordinates: the case moves now.

        Raises:
            NotFound: not a transfer to the caller's operations (audited).
            Conflict: already answered, or the case is no longer where it was offered from.
        """
        transfer = await self._incoming(principal, transfer_id, "transfer.accept")
        case = await self.writer.locked(transfer.case_id)
        if case is None or case.deleted or case.operation_id != transfer.from_operation:
            raise Conflict(
                N_("The case is no longer where it was offered from."),
                errors=[
                    FieldError(field="case_id", reason="case moved or erased", location="path")
                ],
            )
        moved = await self.writer.move_case(case, transfer.to_operation)
        transfer.status, transfer.decided_by, transfer.decided_at = (
            "accepted",
            principal.user_id,
            utcnow(),
        )
        self._record(principal, "transfer.accept", transfer)
        self.audit.record(
            AuditEvent(
                action="case.move",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="case",
                object_id=str(case.id),
                detail={"records": moved, "transfer": str(transfer.id)},
            )
        )
        return transfer_out(transfer)

    async def decline(self, principal: Principal, transfer_id: uuid.UUID) -> TransferOut:
        """Decline a transfer to an operation the caller coordinates: the case stays.

        Raises:
            NotFound: not a transfer to the caller's operations (audited).
            Conflict: already answered.
        """
        transfer = await self._incoming(principal, transfer_id, "transfer.decline")
        transfer.status, transfer.decided_by, transfer.decided_at = (
            "declined",
            principal.user_id,
            utcnow(),
        )
        self._record(principal, "transfer.decline", transfer)
        return transfer_out(transfer)
