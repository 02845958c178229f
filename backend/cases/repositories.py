"""Every query of the coordinators' case views (records as sync stored them)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Conflict, DataKey, Quarantined, Record

__all__ = ["CaseRepository"]

#: The records whose facets make a case's triage line.
TRIAGE_ENTITIES = ("case", "screening", "referral", "consent")


class CaseRepository:
    """Cases and their records, only ever within the operations given."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def triage_records(self, operations: Collection[uuid.UUID]) -> list[Record]:
        """Live case, screening, referral and consent records of these operations."""
        if not operations:
            return []
        result = await self.session.execute(
            select(Record)
            .where(
                Record.operation_id.in_(list(operations)),
                Record.entity.in_(TRIAGE_ENTITIES),
                Record.deleted.is_(False),
            )
            .order_by(Record.created_at, Record.id)
        )
        return list(result.scalars())

    async def case_in(
        self, case_id: uuid.UUID, operations: Collection[uuid.UUID], *, for_update: bool = False
    ) -> Record | None:
        """The case, if it belongs to one of these operations and is not deleted.

        With ``for_update`` the row stays locked until commit (PostgreSQL), so
        two coordinators acting on one case at once take turns.
        """
        query = select(Record).where(
            Record.id == case_id,
            Record.entity == "case",
            Record.deleted.is_(False),
            Record.operation_id.in_(list(operations)),
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def records_of_case(self, case_id: uuid.UUID) -> list[Record]:
        """Every live record of a case, oldest first."""
        result = await self.session.execute(
            select(Record)
            .where(Record.case_id == case_id, Record.deleted.is_(False), Record.id != case_id)
            .order_by(Record.created_at, Record.id)
        )
        return list(result.scalars())

    async def data_key(self, case_id: uuid.UUID) -> DataKey | None:
        """The case's wrapped data key (none once erased)."""
        return await self.session.get(DataKey, case_id)

    async def conflicts_of_case(self, case_id: uuid.UUID) -> list[Conflict]:
        """Sync conflicts that concern the case."""
        result = await self.session.execute(
            select(Conflict).where(Conflict.case_id == case_id).order_by(Conflict.created_at)
        )
        return list(result.scalars())

    async def quarantine_of_case(self, case_id: uuid.UUID) -> list[Quarantined]:
        """Quarantined mutations that concern the case."""
        result = await self.session.execute(
            select(Quarantined)
            .where((Quarantined.case_id == case_id) | (Quarantined.record_id == case_id))
            .order_by(Quarantined.created_at)
        )
        return list(result.scalars())
