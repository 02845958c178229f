"""Writers at once on PostgreSQL: the consent basis and a legal basis end as the rules say."""

from __future__ import annotations

import asyncio

import pytest
from httpx import AsyncClient

from tests.backend.investigations.support import consent, investigator, site, tron
from tests.conftest import Accounts, is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="concurrent writers need PostgreSQL")
ADDRESS = tron("concurrent")


async def test_consents_pushed_at_once_leave_the_latest_in_force(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    case_id = await place.case(consent_state=None, disclosures=[(ADDRESS, {"chain": "tron"})])
    who = await investigator(client, accounts)
    states = ["given", "withdrawn", "given", "refused", "withdrawn", "given"]
    batches = [
        [consent(case_id, state, at=f"2026-06-0{n + 1}T10:00:00+00:00")]
        for n, state in enumerate(states)
    ]
    await asyncio.gather(*(place.push(batch) for batch in batches))
    assert len((await who.lookup("tron", ADDRESS))["cases"]) == 1  # 06-06: given
    await asyncio.gather(
        place.push([consent(case_id, "withdrawn", at="2026-07-01T00:00:00+00:00")]),
        place.push([consent(case_id, "given", at="2026-06-30T00:00:00+00:00")]),
    )
    assert (await who.lookup("tron", ADDRESS))["cases"] == []


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
