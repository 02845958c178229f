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

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.cases.repositories import TriageLines, replace_triage_lines, triage_facet_rows
from backend.cases.triage import TRIAGE_ENTITIES, TriageFacts, triage_facts
from backend.db.models import CaseTriage, Record
from backend.db.outbox import CommitStage, RecordWritten

__all__ = ["TRIAGE_STAGE", "TriageProjector", "fill_once", "forget_case", "rebuild"]

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


def _write(session: Session) -> None:
    buffer: TouchedCases | None = session.info.pop(TRIAGE_BUFFER, None)
    if buffer is None or not buffer.ids:
        return
    cases = sorted(set(buffer.ids))
    session.flush()  # what this transaction changed in the records is read below
    lines = [_row(facts) for facts in triage_facts(triage_facet_rows(session, cases))]
    replace_triage_lines(session, cases, lines)


def _discard(session: Session) -> None:
    session.info.pop(TRIAGE_BUFFER, None)


#: Recomputes touched cases' lines (installed at start-up by ``backend.app``, after the change
#: log's stage: see the module's docstring).
TRIAGE_STAGE = CommitStage(name="triage", write=_write, discard=_discard)


async def forget_case(session: AsyncSession, case_id: uuid.UUID) -> None:
    """An erased case leaves triage."""
    await TriageLines(session).forget(case_id)


async def rebuild(session: AsyncSession, *, page: int = 2000) -> int:
    """Recompute every line from the records (after an upgrade or a restore); returns cases."""
    lines_table = TriageLines(session)
    await lines_table.clear()
    count = 0
    after: uuid.UUID | None = None
    while ids := await lines_table.live_case_ids(after=after, limit=page):
        lines = [_row(facts) for facts in triage_facts(await lines_table.facet_rows(ids))]
        await lines_table.insert(lines)
        count += len(lines)
        after = ids[-1]
    return count


async def fill_once(session: AsyncSession) -> int | None:
    """Fill the projection the first time the schema has it (``None``: filled before)."""
    lines_table = TriageLines(session)
    if await lines_table.built():
        return None
    count = await rebuild(session)
    lines_table.mark_built()
    return count
