"""Every query of the coordinators' case views (records as sync stored them)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.cases.triage import TRIAGE_ENTITIES, FacetRow
from backend.consent.repositories import state_clause
from backend.db.models import (
    CaseTriage,
    Conflict,
    DataKey,
    Quarantined,
    Record,
    ServerState,
)

__all__ = [
    "CaseRepository",
    "TriageLines",
    "TriageQuery",
    "replace_triage_lines",
    "triage_facet_rows",
]

_T = cast(Table, CaseTriage.__table__)
_R = cast(Table, Record.__table__)
#: ``server_state`` key set once the triage projection has been filled.
_TRIAGE_BUILT = "triage_built"


def _facet_rows(where: ColumnElement[bool]) -> Select[Any]:
    return select(_R.c.entity, _R.c.case_id, _R.c.operation_id, _R.c.facets, _R.c.updated_at).where(
        _R.c.entity.in_(TRIAGE_ENTITIES), _R.c.deleted.is_(False), where
    )


def triage_facet_rows(session: Session, cases: Collection[uuid.UUID]) -> list[FacetRow]:
    """The live triage records of these cases (synchronous: the triage commit stage)."""
    return [FacetRow(*row) for row in session.execute(_facet_rows(_R.c.case_id.in_(list(cases))))]


def replace_triage_lines(
    session: Session, cases: Collection[uuid.UUID], lines: list[dict[str, Any]]
) -> None:
    """Replace these cases' triage rows with ``lines`` (synchronous: the commit stage)."""
    session.execute(delete(_T).where(_T.c.case_id.in_(list(cases))))
    if lines:
        session.execute(insert(_T), lines)


class TriageLines:
    """The triage projection as a whole: erasure and rebuilds."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def forget(self, case_id: uuid.UUID) -> None:
        """Drop one case's line."""
        await self.session.execute(delete(_T).where(_T.c.case_id == case_id))

    async def clear(self) -> None:
        """Drop every line (before a rebuild)."""
        await self.session.execute(delete(_T))

    async def live_case_ids(self, *, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
        """Live case ids in id order, a page at a time."""
        query = select(_R.c.id).where(_R.c.entity == "case", _R.c.deleted.is_(False))
        if after is not None:
            query = query.where(_R.c.id > after)
        return list((await self.session.execute(query.order_by(_R.c.id).limit(limit))).scalars())

    async def facet_rows(self, cases: Collection[uuid.UUID]) -> list[FacetRow]:
        """The live triage records of these cases."""
        result = await self.session.execute(_facet_rows(_R.c.case_id.in_(list(cases))))
        return [FacetRow(*row) for row in result]

    async def insert(self, lines: list[dict[str, Any]]) -> None:
        """Add lines."""
        if lines:
            await self.session.execute(insert(_T), lines)

    async def built(self) -> bool:
        """Whether the projection was filled once (``lantern db upgrade``)."""
        return await self.session.get(ServerState, _TRIAGE_BUILT) is not None

    def mark_built(self) -> None:
        """Note that the projection was filled."""
        self.session.add(ServerState(key=_TRIAGE_BUILT, value="1"))


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageQuery:
    """What a triage page asks of the projection (``None`` matches everything)."""

    operations: Collection[uuid.UUID]
    band: str | None = None
    flag: str | None = None
    referral_status: str | None = None
    consent_purpose: str | None = None
    consent_state: str | None = None
    nationality_tags: Collection[str] | None = None
    age_group: str | None = None


def _where(query: TriageQuery) -> list[ColumnElement[bool]]:
    t = CaseTriage
    found: list[ColumnElement[bool]] = [t.operation_id.in_(list(query.operations))]
    if query.band is not None:
        found.append(t.band == query.band)
    if query.flag is not None:
        found.append(t.flags.contains(f",{query.flag},", autoescape=True))
    if query.referral_status is not None:
        found.append(t.referral_statuses.contains(f",{query.referral_status},", autoescape=True))
    if query.consent_purpose is not None:
        found.append(state_clause(t.case_id, query.consent_purpose, query.consent_state))
    if query.nationality_tags is not None:
        found.append(t.nationality_tag.in_(list(query.nationality_tags)))
    if query.age_group is not None:
        found.append(t.age_group == query.age_group)
    return found


class CaseRepository:
    """Cases and their records, only ever within the operations given."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def triage_page(
        self, query: TriageQuery, *, limit: int, offset: int
    ) -> tuple[list[CaseTriage], int]:
        """A page of the triage projection, most urgent first, and how many lines match."""
        if not query.operations:
            return [], 0
        where = _where(query)
        total = await self.session.scalar(
            select(func.count()).select_from(CaseTriage).where(*where)
        )
        rows = await self.session.scalars(
            select(CaseTriage)
            .where(*where)
            .order_by(CaseTriage.urgency, CaseTriage.updated_at.desc(), CaseTriage.case_id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total or 0)

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
