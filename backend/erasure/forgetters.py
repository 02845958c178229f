"""What else must forget an erased case: one function per table that projects case data.

Erasure shreds the case's data key and turns its records into tombstones
itself. Any other table that keeps something derived from a case (a person
match encoding, a case reference of an investigation, a referral's steps)
adds a ``forget_case(session, case_id)`` to ``FORGETTERS``; erasure calls each,
in order, inside the same transaction, so an erasure is all or nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.projection import forget_case as forget_triage
from backend.consent.services import forget_case as forget_consent
from backend.duplicates.services import forget_case as forget_person_encoding
from backend.investigations.repositories import forget_case as forget_linkage
from backend.referrals.repositories import ReferralStepRepository
from backend.transfers.repositories import TransferRepository

__all__ = ["FORGETTERS", "Forgetter"]

Forgetter = Callable[[AsyncSession, uuid.UUID], Awaitable[None]]


async def forget_referral_steps(session: AsyncSession, case_id: uuid.UUID) -> None:
    """A referral's steps say who helped the person when: gone with the case."""
    await ReferralStepRepository(session).forget_case(case_id)


async def cancel_transfers(session: AsyncSession, case_id: uuid.UUID) -> None:
    """A pending transfer of an erased case can no longer be accepted."""
    await TransferRepository(session).cancel_pending(case_id)


#: Called in this order by every erasure. Add other tables' forgetters here.
FORGETTERS: tuple[Forgetter, ...] = (
    forget_referral_steps,
    cancel_transfers,
    forget_person_encoding,
    forget_linkage,
    forget_consent,
    forget_triage,
)
