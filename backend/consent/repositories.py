"""Every query of consent checks: the consent records of cases, as sync stored them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.policy import ConsentFact
from backend.db.models import Record

__all__ = ["ConsentRepository", "consent_fact"]


def _recorded_at(value: object, fallback: dt.datetime) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
    return fallback


def consent_fact(record_id: uuid.UUID, facets: str, created_at: dt.datetime) -> ConsentFact:
    """A consent record's readable facets as the consent rule reads them."""
    values = msgspec.json.decode(facets)
    return ConsentFact(
        purpose=str(values.get("purpose")),
        state=str(values.get("state")),
        recorded_at=_recorded_at(values.get("recorded_at"), created_at),
        created_at=created_at,
        record_id=record_id,
    )


class ConsentRepository:
    """Consent records of live cases (read from their readable facets, never decrypted)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def facts(self, case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[ConsentFact]]:
        """The consents recorded for these cases, by case."""
        found: dict[uuid.UUID, list[ConsentFact]] = {c: [] for c in case_ids}
        if not case_ids:
            return found
        result = await self.session.execute(
            select(Record.id, Record.case_id, Record.facets, Record.created_at).where(
                Record.entity == "consent",
                Record.case_id.in_(list(case_ids)),
                Record.deleted.is_(False),
            )
        )
        for record_id, case_id, facets, created_at in result:
            found[case_id].append(consent_fact(record_id, facets, created_at))
        return found
