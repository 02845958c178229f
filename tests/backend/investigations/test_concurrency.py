"""Writers at once on PostgreSQL: the consent basis and a legal basis end as the rules say."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from backend.consent.rules import ConsentRecord, standing
from backend.db.models import Change
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.investigations.support import consent, investigator, site, tron
from tests.conftest import Accounts, is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="concurrent writers need PostgreSQL")
ADDRESS = tron("concurrent")


async def test_consents_pushed_at_once_leave_the_one_the_rule_says(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Consents pushed at once (really concurrent on PostgreSQL): the lookup shows the case
    exactly when the consent rule, folded in the order the pushes committed, says given."""
    place = await site(client, accounts)
    case_id = await place.case(consent_state=None, disclosures=[(ADDRESS, {"chain": "tron"})])
    who = await investigator(client, accounts)
    states = ["given", "withdrawn", "given", "refused", "withdrawn", "given"]
    batches = [
        [consent(case_id, state, at=f"2026-06-0{n + 1}T10:00:00+00:00")]
        for n, state in enumerate(states)
    ]
    await asyncio.gather(*(place.push(batch) for batch in batches))
    by_id = {uuid.UUID(b[0]["id"]): b[0]["data"]["state"] for b in batches}
    async with read_transaction(runtime.db) as session:
        committed = (
            (
                await session.execute(
                    select(Change.record_id).where(Change.record_id.in_(by_id)).order_by(Change.seq)
                )
            )
            .scalars()
            .all()
        )
    stands = standing(
        ConsentRecord(record_id=r, purpose="financial_investigation", state=by_id[r])
        for r in committed
    )["financial_investigation"]
    shown = len((await who.lookup("tron", ADDRESS))["cases"])
    assert shown == (1 if stands.state == "given" else 0), (committed, stands)


async def test_legal_bases_recorded_at_once_leave_one(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    case_id = await place.case(consent_state=None, disclosures=[(ADDRESS, {"chain": "tron"})])
    url = f"/api/v1/linkage/cases/{case_id}/legal-basis"
    headers = place.field.coordinator_headers
    answers = await asyncio.gather(
        *(
            client.put(url, headers=headers, json={"legal_basis": f"Synthetic order {n}"})
            for n in range(5)
        )
    )
    assert [a.status_code for a in answers] == [204] * 5
    who = await investigator(client, accounts)
    assert len((await who.lookup("tron", ADDRESS))["cases"]) == 1
