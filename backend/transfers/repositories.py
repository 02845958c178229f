"""Every query of transfers."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import CaseTransfer, Operation

__all__ = ["TransferRepository"]


class TransferRepository:
    """Transfers, only ever within the operations given."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def cancel_pending(self, case_id: uuid.UUID) -> None:
        """Cancel a case's pending transfer (the case is erased)."""
        await self.session.execute(
            update(CaseTransfer)
            .where(CaseTransfer.case_id == case_id, CaseTransfer.status == "pending")
            .values(status="cancelled")
        )

    def add(self, transfer: CaseTransfer) -> None:
        """Stage a new transfer."""
        self.session.add(transfer)

    async def operation_exists(self, operation_id: uuid.UUID) -> bool:
        """Whether an operation exists."""
        return await self.session.get(Operation, operation_id) is not None

    async def pending_for_case(self, case_id: uuid.UUID) -> CaseTransfer | None:
        """The case's pending transfer, if one is open."""
        result = await self.session.execute(
            select(CaseTransfer).where(
                CaseTransfer.case_id == case_id, CaseTransfer.status == "pending"
            )
        )
        return result.scalars().first()

    async def incoming(
        self, transfer_id: uuid.UUID, operations: Collection[uuid.UUID]
    ) -> CaseTransfer | None:
        """A transfer to one of these operations, locked until commit."""
        result = await self.session.execute(
            select(CaseTransfer)
            .where(CaseTransfer.id == transfer_id, CaseTransfer.to_operation.in_(list(operations)))
            .with_for_update()
        )
        return result.scalar_one_or_none()

    async def listed(
        self,
        operations: Collection[uuid.UUID],
        *,
        direction: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> list[CaseTransfer]:
        """Transfers to (``incoming``), from (``outgoing``) or either way of these operations."""
        ops = list(operations)
        sides = {
            "incoming": CaseTransfer.to_operation.in_(ops),
            "outgoing": CaseTransfer.from_operation.in_(ops),
        }
        where = sides[direction] if direction else or_(*sides.values())
        query = select(CaseTransfer).where(where)
        if status is not None:
            query = query.where(CaseTransfer.status == status)
        query = (
            query.order_by(CaseTransfer.proposed_at, CaseTransfer.id).limit(limit).offset(offset)
        )
        return list((await self.session.execute(query)).scalars())
