"""Every query of consent: the consent that stands per case and purpose.

The stored answer (``consent_states``) is written by the consent projector in
the transaction that writes each consent record; exits read it here, or join
:func:`given_clause` into their own queries, so the rule is applied once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.consent.rules import GIVEN, ConsentRecord, step
from backend.db.base import utcnow
from backend.db.models import ConsentState

__all__ = ["ConsentRepository", "apply_received", "given_clause", "state_clause"]


def given_clause(case_id: ColumnElement[Any] | Any, purpose: str) -> ColumnElement[bool]:
    """SQL: the consent standing for ``purpose`` of the case in ``case_id`` is ``given``."""
    return exists(
        select(ConsentState.case_id).where(
            ConsentState.case_id == case_id,
            ConsentState.purpose == purpose,
            ConsentState.state == GIVEN,
        )
    )


def state_clause(
    case_id: ColumnElement[Any] | Any, purpose: str, state: str | None
) -> ColumnElement[bool]:
    """SQL: a consent for ``purpose`` of the case stands (in ``state``, if given)."""
    conditions = [ConsentState.case_id == case_id, ConsentState.purpose == purpose]
    if state is not None:
        conditions.append(ConsentState.state == state)
    return exists(select(ConsentState.case_id).where(*conditions))


class ConsentRepository:
    """The standing consent of cases."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def states(self, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
        """The standing state per purpose of each case (a purpose never recorded is absent)."""
        found: dict[uuid.UUID, dict[str, str]] = {c: {} for c in case_ids}
        if not case_ids:
            return found
        result = await self.session.execute(
            select(ConsentState.case_id, ConsentState.purpose, ConsentState.state).where(
                ConsentState.case_id.in_(list(case_ids))
            )
        )
        for case_id, purpose, state in result:
            found[case_id][purpose] = state
        return found

    async def given(self, case_ids: Collection[uuid.UUID], purpose: str) -> set[uuid.UUID]:
        """Those of ``case_ids`` whose consent for ``purpose`` stands as given."""
        if not case_ids:
            return set()
        result = await self.session.scalars(
            select(ConsentState.case_id).where(
                ConsentState.case_id.in_(list(case_ids)),
                ConsentState.purpose == purpose,
                ConsentState.state == GIVEN,
            )
        )
        return set(result)

    async def forget_case(self, case_id: uuid.UUID) -> None:
        """An erased case has no consent left to stand."""
        await self.session.execute(delete(ConsentState).where(ConsentState.case_id == case_id))


def apply_received(session: Session, received: list[tuple[uuid.UUID, ConsentRecord]]) -> None:
    """Apply consent records received in one transaction, in order, to what stands.

    Three statements for the whole transaction: rows for new (case, purpose)
    pairs are inserted if absent, every pair's row is locked (PostgreSQL), and
    the new standing is written. Locking before reading makes a concurrent
    transaction that received consents for the same case wait, then read what
    this one wrote: receipt order is commit order.
    """
    if not received:
        return
    table = cast(Table, ConsentState.__table__)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    first: dict[tuple[uuid.UUID, str], ConsentRecord] = {}
    for case_id, record in received:
        first.setdefault((case_id, record.purpose), record)
    session.execute(
        insert(table).on_conflict_do_nothing(),
        [
            {
                "case_id": case_id,
                "purpose": purpose,
                "state": record.state,
                "record_id": record.record_id,
                "received": 0,
                "updated_at": now,
            }
            for (case_id, purpose), record in first.items()
        ],
    )
    rows = session.execute(
        select(table.c.case_id, table.c.purpose, table.c.state, table.c.record_id, table.c.received)
        .where(table.c.case_id.in_({case_id for case_id, _ in first}))
        .with_for_update()
    )
    stands: dict[tuple[uuid.UUID, str], tuple[ConsentRecord | None, int]] = {}
    for case_id, purpose, state, record_id, count in rows:
        stood = ConsentRecord(record_id=record_id, purpose=purpose, state=state) if count else None
        stands[(case_id, purpose)] = (stood, count)
    for case_id, record in received:
        stood, count = stands[(case_id, record.purpose)]
        stands[(case_id, record.purpose)] = (step(stood, record), count + 1)
    session.execute(
        update(table)
        .where(table.c.case_id == bindparam("c"), table.c.purpose == bindparam("p"))
        .values(
            state=bindparam("s"),
            record_id=bindparam("r"),
            received=bindparam("n"),
            updated_at=bindparam("at"),
        ),
        [
            {"c": case_id, "p": purpose, "s": stood.state, "r": stood.record_id, "n": n, "at": now}
            for (case_id, purpose), (stood, n) in stands.items()
            if (case_id, purpose) in first and stood is not None
        ],
    )
