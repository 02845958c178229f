"""An approval reveals exactly the records it named, and only while consent or a legal basis holds."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient

from tests.backend.investigations.support import (
    Investigator,
    Site,
    consent,
    investigator,
    site,
    tron,
)
from tests.backend.sync.support import mutation
from tests.conftest import Accounts

OWN = tron("revealed-own-wallet")
LATER = tron("own-wallet-disclosed-after-approval")
REVISED = tron("own-wallet-after-a-revision")
PERP = tron("revelation-perpetrator")
REQUESTS = "/api/v1/disclosure-requests"


def _own(case_id: uuid.UUID, record_id: uuid.UUID, raw: str, **extra: Any) -> dict[str, Any]:
    data = {"case_id": str(case_id), "kind": "wallet", "role": "victim_own", "raw": raw}
    data["chain"] = "tron"
    return mutation("disclosure", record_id, data, **extra)


async def _approved(
    client: AsyncClient, accounts: Accounts
) -> tuple[Site, Investigator, uuid.UUID, uuid.UUID]:
    """A case with its own wallet and a perpetrator's, and an approved request about it."""
    place = await site(client, accounts)
    case_id = await place.case(disclosures=[(PERP, {"chain": "tron"})])
    own_record = uuid.uuid4()
    await place.push([_own(case_id, own_record, OWN)])
    who = await investigator(client, accounts)
    case_ref = (await who.lookup("tron", PERP))["cases"][0]["case_ref"]
    asked = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": case_ref, "reason": "A synthetic witness statement"},
    )
    assert asked.status_code == 201, asked.text
    decided = await client.post(
        f"{REQUESTS}/{asked.json()['id']}/decide",
        headers=place.field.coordinator_headers,
        json={"decision": "approve"},
    )
    assert decided.status_code == 200, decided.text
    (mine,) = await who.get("/disclosure-requests")
    assert mine["revealed"] == [{"chain": "tron", "address": OWN}]
    return place, who, case_id, own_record


async def _revealed(who: Investigator) -> list[dict[str, str]]:
    (mine,) = await who.get("/disclosure-requests")
    assert mine["status"] == "approved"
    revealed: list[dict[str, str]] = mine["revealed"]
    return revealed


async def test_a_withdrawal_closes_the_read_back_and_a_legal_basis_reopens_it(
    client: AsyncClient, accounts: Accounts
) -> None:
    place, who, case_id, _ = await _approved(client, accounts)
    await place.push([consent(case_id, "withdrawn")])
    assert (await who.lookup("tron", PERP))["cases"] == []
    assert await _revealed(who) == []
    assert (await who.lookup("tron", OWN))["cases"] == []

    url = f"/api/v1/linkage/cases/{case_id}/legal-basis"
    recorded = await client.put(
        url, headers=place.field.coordinator_headers, json={"legal_basis": "Synthetic order 9"}
    )
    assert recorded.status_code == 204, recorded.text
    assert await _revealed(who) == [{"chain": "tron", "address": OWN}]
    await client.delete(url, headers=place.field.coordinator_headers)
    assert await _revealed(who) == []


async def test_a_wallet_disclosed_after_the_approval_is_not_revealed(
    client: AsyncClient, accounts: Accounts
) -> None:
    place, who, case_id, _ = await _approved(client, accounts)
    await place.push([_own(case_id, uuid.uuid4(), LATER)])
    assert await _revealed(who) == [{"chain": "tron", "address": OWN}]
    assert (await who.lookup("tron", LATER))["cases"] == []
    assert len((await who.lookup("tron", OWN))["cases"]) == 1


async def test_a_record_revised_after_the_approval_is_not_revealed(
    client: AsyncClient, accounts: Accounts
) -> None:
    place, who, case_id, own_record = await _approved(client, accounts)
    await place.push([_own(case_id, own_record, REVISED, base_rev=1)])
    assert await _revealed(who) == []
    assert (await who.lookup("tron", REVISED))["cases"] == []
    assert (await who.lookup("tron", OWN))["cases"] == []
