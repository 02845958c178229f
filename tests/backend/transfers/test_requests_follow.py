"""A disclosure request follows its case: after a transfer, the new operation's coordinators decide."""

from __future__ import annotations

from httpx import AsyncClient

from tests.backend.investigations.support import investigator, site, tron
from tests.conftest import Accounts, assert_problem

PERP = tron("transferred-case-perpetrator")
OWN = tron("transferred-case-own-wallet")
REQUESTS = "/api/v1/disclosure-requests"
TRANSFERS = "/api/v1/transfers"


async def test_a_pending_request_moves_with_a_transferred_case(
    client: AsyncClient, accounts: Accounts
) -> None:
    source = await site(client, accounts)
    target = await site(client, accounts)
    case_id = await source.case(
        disclosures=[
            (PERP, {"chain": "tron"}),
            (OWN, {"chain": "tron", "role": "victim_own"}),
        ]
    )
    who = await investigator(client, accounts)
    case_ref = (await who.lookup("tron", PERP))["cases"][0]["case_ref"]
    asked = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": case_ref, "reason": "A synthetic witness statement"},
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    old, new = source.field.coordinator_headers, target.field.coordinator_headers
    assert [r["id"] for r in (await client.get(REQUESTS, headers=old)).json()] == [request_id]
    assert (await client.get(REQUESTS, headers=new)).json() == []

    proposed = await client.post(
        f"/api/v1/cases/{case_id}/transfers",
        headers=old,
        json={"to_operation": target.field.operation_id},
    )
    assert proposed.status_code == 201, proposed.text
    accepted = await client.post(f"{TRANSFERS}/{proposed.json()['id']}/accept", headers=new)
    assert accepted.status_code == 200, accepted.text

    # The old operation's coordinator: the case is gone, and so is the request.
    assert_problem(await client.get(f"/api/v1/cases/{case_id}", headers=old), 404, "not-found")
    assert (await client.get(REQUESTS, headers=old)).json() == []
    refused = await client.post(
        f"{REQUESTS}/{request_id}/decide", headers=old, json={"decision": "approve"}
    )
    assert_problem(refused, 404, "not-found")

    # The new operation's coordinator sees it, under the case's operation now, and decides.
    (listed,) = (await client.get(REQUESTS, headers=new)).json()
    assert listed["id"] == request_id and listed["status"] == "pending"
    assert listed["operation_id"] == target.field.operation_id
    decided = await client.post(
        f"{REQUESTS}/{request_id}/decide", headers=new, json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    (mine,) = await who.get("/disclosure-requests")
    assert mine["revealed"] == [{"chain": "tron", "address": OWN}]


async def test_an_approval_lapses_when_its_case_is_transferred(
    client: AsyncClient, accounts: Accounts
) -> None:
    source = await site(client, accounts)
    target = await site(client, accounts)
    case_id = await source.case(
        disclosures=[
            (PERP, {"chain": "tron"}),
            (OWN, {"chain": "tron", "role": "victim_own"}),
        ]
    )
    who = await investigator(client, accounts)
    case_ref = (await who.lookup("tron", PERP))["cases"][0]["case_ref"]
    old, new = source.field.coordinator_headers, target.field.coordinator_headers
    asked = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": case_ref, "reason": "A synthetic witness statement"},
    )
    decided = await client.post(
        f"{REQUESTS}/{asked.json()['id']}/decide", headers=old, json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    proposed = await client.post(
        f"/api/v1/cases/{case_id}/transfers",
        headers=old,
        json={"to_operation": target.field.operation_id},
    )
    accepted = await client.post(f"{TRANSFERS}/{proposed.json()['id']}/accept", headers=new)
    assert accepted.status_code == 200, accepted.text
    (mine,) = await who.get("/disclosure-requests")
    assert mine["status"] == "approved" and mine["revealed"] == []
    assert (await who.lookup("tron", OWN))["cases"] == []
