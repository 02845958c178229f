"""The triage projection: ``case_triage`` kept in step with what the record store writes.

The projector notes each case whose case, screening, referral or consent
record is written; the triage commit stage recomputes those cases' lines from
their records' readable facets and replaces their rows, as the transaction's
last statements. It runs after the change log's stage, whose counter lock every
writer of records takes and holds until commit: recomputations happen one
transaction at a time, in commit order, each seeing what the ones before
committed, so two pushes touching one case never leave a stale line.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.cases.triage import TRIAGE_ENTITIES, FacetRow, TriageFacts, triage_facts
from backend.db.models import CaseTriage, Record
from backend.db.outbox import CommitStage, RecordWritten

__all__ = ["TRIAGE_STAGE", "TriageProjector", "forget_case", "rebuild"]

_T = cast(Table, CaseTriage.__table__)
_R = cast(Table, Record.__table__)
#: ``session.info`` key of the cases a transaction touched, in order.
TRIAGE_BUFFER = "lantern.triage.touched"


class TouchedCases:
    """Cases whose triage lines a transaction must recompute (rewound by savepoints)."""

    __slots__ = ("ids",)

    def __init__(self) -> None:
        self.ids: list[uuid.UUID] = []

    def mark(self) -> int:
        """How many are noted."""
        return len(self.ids)

    def rewind(self, mark: int) -> None:
        """Forget what a rolled-back savepoint noted."""
        del self.ids[mark:]


class TriageProjector:
    """Notes the cases whose triage line a record write changes (registered at start-up)."""

    name = "triage"

    async def written(self, session: AsyncSession, event: RecordWritten) -> None:
        """Note the record's case."""
        if event.record.entity not in TRIAGE_ENTITIES:
            return
        buffer = session.info.get(TRIAGE_BUFFER)
        if buffer is None:
            buffer = session.info[TRIAGE_BUFFER] = TouchedCases()
        buffer.ids.append(event.record.case_id)


def _row(facts: TriageFacts) -> dict[str, Any]:
    facets = facts.case_facets
    return {
        "case_id": facts.case_id,
        "operation_id": facts.operation_id,
        "case_code": facets.get("case_code"),
        "age_group": str(facets.get("age_group") or "unknown"),
        "nationality_tag": facets.get("nationality_tag"),
        "band": facts.band,
        "flags": "," + "".join(f"{flag}," for flag in sorted(facts.flags)),
        "referral_statuses": "," + "".join(f"{s}," for s in facts.referral_statuses),
        "urgency": facts.urgency,
        "updated_at": facts.updated_at,
    }


def _facet_rows(where: Any) -> Any:
    return select(_R.c.entity, _R.c.case_id, _R.c.operation_id, _R.c.facets, _R.c.updated_at).where(
        _R.c.entity.in_(TRIAGE_ENTITIES), _R.c.deleted.is_(False), where
    )


def _write(session: Session) -> None:
    buffer: TouchedCases | None = session.info.pop(TRIAGE_BUFFER, None)
    if buffer is None or not buffer.ids:
        return
    cases = sorted(set(buffer.ids))
    session.flush()  # what this transaction changed in the records is read below
    rows = [FacetRow(*row) for row in session.execute(_facet_rows(_R.c.case_id.in_(cases)))]
    lines = [_row(facts) for facts in triage_facts(rows)]
    session.execute(delete(_T).where(_T.c.case_id.in_(cases)))
    if lines:
        session.execute(insert(_T), lines)


def _discard(session: Session) -> None:
    session.info.pop(TRIAGE_BUFFER, None)


#: Recomputes touched cases' lines (installed at start-up by ``backend.app``, after the change
#: log's stage: see the module's docstring).
TRIAGE_STAGE = CommitStage(name="triage", write=_write, discard=_discard)


async def forget_case(session: AsyncSession, case_id: uuid.UUID) -> None:
    """An erased case leaves triage."""
    await session.execute(delete(_T).where(_T.c.case_id == case_id))


async def rebuild(session: AsyncSession, *, page: int = 2000) -> int:
    """Recompute every line from the records (after an upgrade or a restore); returns cases."""
    await session.execute(delete(_T))
    count = 0
    after: uuid.UUID | None = None
    while True:
        query = select(_R.c.id).where(_R.c.entity == "case", _R.c.deleted.is_(False))
        if after is not None:
            query = query.where(_R.c.id > after)
        ids = list((await session.execute(query.order_by(_R.c.id).limit(page))).scalars())
        if not ids:
            return count
        rows = [FacetRow(*row) for row in await session.execute(_facet_rows(_R.c.case_id.in_(ids)))]
        lines = [_row(facts) for facts in triage_facts(rows)]
        if lines:
            await session.execute(insert(_T), lines)
        count += len(lines)
        after = ids[-1]
