"""Queries of the ledger of released statistics."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import StatisticsRelease
from backend.db.session import savepoint

__all__ = ["ReleaseRepository"]


class ReleaseRepository:
    """Every release one audience received, and the next one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_audience(self, audience: str) -> Sequence[StatisticsRelease]:
        """The audience's releases, oldest first."""
        query = (
            select(StatisticsRelease)
            .where(StatisticsRelease.audience == audience)
            .order_by(StatisticsRelease.seq)
        )
        return (await self.session.execute(query)).scalars().all()

    async def add(self, release: StatisticsRelease) -> bool:
        """Write a release now; ``False`` when another reader took its ``seq`` first.

        Two readers of one audience computing a release at once must not both
        publish (their two releases were never compared with each other): the
        pair (audience, seq) is unique, and the loser reads the ledger again.
        """
        try:
            async with savepoint(self.session):
                self.session.add(release)
                await self.session.flush()
        except IntegrityError:
            return False
        return True
