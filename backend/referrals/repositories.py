"""Every query of referrals beside the synced records: their steps."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ReferralStep

__all__ = ["ReferralStepRepository"]


class ReferralStepRepository:
    """The history of referrals."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, step: ReferralStep) -> None:
        """Stage a step."""
        self.session.add(step)

    async def of(self, referral_id: uuid.UUID) -> list[ReferralStep]:
        """A referral's steps, oldest first."""
        result = await self.session.execute(
            select(ReferralStep)
            .where(ReferralStep.referral_id == referral_id)
            .order_by(ReferralStep.at, ReferralStep.rev)
        )
        return list(result.scalars())

    async def forget_case(self, case_id: uuid.UUID) -> None:
        """Delete the steps of a case's referrals (erasure)."""
        await self.session.execute(delete(ReferralStep).where(ReferralStep.case_id == case_id))
