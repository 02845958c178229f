"""Every query of closure, erasure and retention."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import CaseLifecycle

__all__ = ["LifecycleRepository"]


class LifecycleRepository:
    """When cases were closed and erased."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_id: uuid.UUID) -> CaseLifecycle | None:
        """A case's lifecycle row, if it was ever closed or erased."""
        return await self.session.get(CaseLifecycle, case_id)

    async def ensure(self, case_id: uuid.UUID, operation_id: uuid.UUID) -> CaseLifecycle:
        """The case's lifecycle row, staged if new."""
        found = await self.get(case_id)
        if found is None:
            found = CaseLifecycle(case_id=case_id, operation_id=operation_id)
            self.session.add(found)
        return found

    async def closed_before(self, moment: dt.datetime) -> list[CaseLifecycle]:
        """Cases closed before ``moment`` and not erased yet, oldest closure first."""
        result = await self.session.execute(
            select(CaseLifecycle)
            .where(
                CaseLifecycle.closed_at.is_not(None),
                CaseLifecycle.closed_at < moment,
                CaseLifecycle.erased_at.is_(None),
            )
            .order_by(CaseLifecycle.closed_at, CaseLifecycle.case_id)
        )
        return list(result.scalars())
