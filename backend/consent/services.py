"""The one question every exit asks before case data leaves coordinator scope.

Referrals, their packages, exports, statistics (and investigators' views)
call :meth:`ConsentService.consented` or :meth:`ConsentService.consented_cases`
on every request: nothing is cached, so a withdrawal recorded by a phone
takes effect on the next query. The rule itself (the latest consent for the
purpose wins) is :func:`backend.access.policy.consent_in_force`.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.policy import consent_in_force
from backend.consent.repositories import ConsentRepository

__all__ = ["ConsentService", "Purpose"]

Purpose = Literal[
    "services", "financial_investigation", "prosecution_evidence", "aggregate_statistics"
]


class ConsentService:
    """Consent per case and purpose, as it stands now."""

    def __init__(self, session: AsyncSession) -> None:
        self.repo = ConsentRepository(session)

    async def consented(self, case_id: uuid.UUID, purpose: Purpose) -> bool:
        """Whether ``purpose`` is consented for the case now."""
        return case_id in await self.consented_cases([case_id], purpose)

    async def consented_cases(
        self, case_ids: Collection[uuid.UUID], purpose: Purpose
    ) -> set[uuid.UUID]:
        """Those of ``case_ids`` whose consent for ``purpose`` stands now."""
        facts = await self.repo.facts(set(case_ids))
        return {case_id for case_id, found in facts.items() if consent_in_force(found, purpose)}
