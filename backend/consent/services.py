"""The one question every exit asks before case data leaves coordinator scope.

Referrals, their packages, exports, statistics, triage and investigators'
views ask here (or join :func:`backend.consent.repositories.given_clause` into
their queries) on every request: nothing is cached, so a withdrawal takes
effect on the next query. The rule itself is :mod:`backend.consent.rules`;
:class:`ConsentProjector` applies it as each consent record is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.consent.repositories import ConsentRepository, apply_received
from backend.consent.rules import PURPOSES, STATES, ConsentRecord, Purpose
from backend.db.outbox import CommitStage, RecordWritten

__all__ = ["CONSENT_STAGE", "ConsentProjector", "ConsentService", "Purpose", "forget_case"]


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
        return await self.repo.given(set(case_ids), purpose)

    async def states(self, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
        """The standing state per purpose of each case."""
        return await self.repo.states(set(case_ids))


def consent_record(record_id: uuid.UUID, facets: str) -> ConsentRecord | None:
    """A consent record as the rule reads it, from its readable facets (``None``: not one)."""
    values = msgspec.json.decode(facets or "{}")
    purpose, state = values.get("purpose"), values.get("state")
    if purpose not in PURPOSES or state not in STATES:
        return None
    supersedes = values.get("supersedes")
    try:
        superseded = uuid.UUID(str(supersedes)) if supersedes else None
    except ValueError:
        superseded = None
    return ConsentRecord(
        record_id=record_id, purpose=str(purpose), state=str(state), supersedes=superseded
    )


#: ``session.info`` key of the consent records a transaction received, in order.
CONSENT_BUFFER = "lantern.consent.received"


class ReceivedConsents:
    """A transaction's newly received consent records, in order (rewound by savepoints)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[tuple[uuid.UUID, ConsentRecord]] = []

    def mark(self) -> int:
        """How many are buffered."""
        return len(self.items)

    def rewind(self, mark: int) -> None:
        """Forget what a rolled-back savepoint received."""
        del self.items[mark:]


class ConsentProjector:
    """Applies the consent rule to each consent record received (registered at start-up).

    Records are noted in order as they are written and applied at commit by
    :data:`CONSENT_STAGE`, in three statements per transaction.
    """

    name = "consent"

    async def written(self, session: AsyncSession, event: RecordWritten) -> None:
        """Note a newly created consent record."""
        record = event.record
        if record.entity != "consent" or event.op != "upsert" or record.rev != 1:
            return  # consents are immutable: only their creation is news
        received = consent_record(record.id, record.facets)
        if received is None:
            return
        buffer = session.info.get(CONSENT_BUFFER)
        if buffer is None:
            buffer = session.info[CONSENT_BUFFER] = ReceivedConsents()
        buffer.items.append((record.case_id, received))


def _write_received(session: Session) -> None:
    buffer: ReceivedConsents | None = session.info.pop(CONSENT_BUFFER, None)
    if buffer is not None:
        apply_received(session, buffer.items)


def _discard_received(session: Session) -> None:
    session.info.pop(CONSENT_BUFFER, None)


#: Writes what the transaction's consents change (installed at start-up by ``backend.app``;
#: before the change log, whose counter lock every writer takes last).
CONSENT_STAGE = CommitStage(name="consent", write=_write_received, discard=_discard_received)


async def forget_case(session: AsyncSession, case_id: uuid.UUID) -> None:
    """An erased case's standing consents go with it."""
    await ConsentRepository(session).forget_case(case_id)
