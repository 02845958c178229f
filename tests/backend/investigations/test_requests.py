"""A victim's own wallet: never shown, until a coordinator approves a disclosure request."""

from __future__ import annotations

import asyncio

import pytest
from httpx import AsyncClient

from tests.backend.investigations.support import investigator, site, tron
from tests.conftest import Accounts, assert_problem, is_postgres

OWN = tron("victim-own-wallet")
SHARED = tron("shared-with-own")
REQUESTS = "/api/v1/disclosure-requests"


async def _seeded(client: AsyncClient, accounts: Accounts) -> tuple:  # type: ignore[type-arg]
    place = await site(client, accounts)
    await place.case(
        disclosures=[
            (OWN, {"chain": "tron", "role": "victim_own"}),
            (SHARED, {"chain": "tron", "role": "paid_to_perpetrator"}),
        ]
    )
    who = await investigator(client, accounts)
    return place, who


async def test_a_victims_own_wallet_never_appears_without_an_approved_request(
    client: AsyncClient, accounts: Accounts
) -> None:
    place, who = await _seeded(client, accounts)
    assert (await who.lookup("tron", OWN))["cases"] == []
    shared = await who.lookup("tron", SHARED)
    assert shared["co_disclosed"] == []
    csv = await client.get(f"{who.base}/exports/csv", headers=who.headers)
    tagpack = await client.get(f"{who.base}/exports/tagpack", headers=who.headers)
    assert OWN not in csv.text and OWN not in tagpack.text
    assert SHARED in csv.text and SHARED in tagpack.text

    case_ref = shared["cases"][0]["case_ref"]
    asked = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": case_ref, "reason": "A witness statement about the synthetic ring"},
    )
    assert asked.status_code == 201, asked.text
    again = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": case_ref, "reason": "Twice"},
    )
    assert_problem(again, 409, "conflict")
    pending = await client.get(REQUESTS, headers=place.field.coordinator_headers)
    (request,) = pending.json()
    assert request["case_id"] == str(place.cases[0]) and request["status"] == "pending"
    assert (await who.lookup("tron", OWN))["cases"] == []

    decided = await client.post(
        f"{REQUESTS}/{request['id']}/decide",
        headers=place.field.coordinator_headers,
        json={"decision": "approve", "note": "consent on record covers it"},
    )
    assert decided.status_code == 200, decided.text
    own = await who.lookup("tron", OWN)
    assert [c["roles"] for c in own["cases"]] == [["victim_own"]]
    (mine,) = await who.get("/disclosure-requests")
    assert mine["status"] == "approved"
    assert mine["revealed"] == [{"chain": "tron", "address": OWN}]
    # Exports never carry a victim's own wallet, approved or not.
    csv = await client.get(f"{who.base}/exports/csv", headers=who.headers)
    assert OWN not in csv.text
    # Another investigation of the same investigator sees nothing of the approval.
    other = await investigator(client, accounts, headers=who.headers)
    assert (await other.lookup("tron", OWN))["cases"] == []


async def test_a_refused_request_reveals_nothing_and_cannot_be_decided_twice(
    client: AsyncClient, accounts: Accounts
) -> None:
    place, who = await _seeded(client, accounts)
    case_ref = (await who.lookup("tron", SHARED))["cases"][0]["case_ref"]
    asked = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": case_ref, "reason": "Synthetic reason"},
    )
    url = f"{REQUESTS}/{asked.json()['id']}/decide"
    coordinator = place.field.coordinator_headers
    refused = await client.post(url, headers=coordinator, json={"decision": "refuse"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert_problem(
        await client.post(url, headers=coordinator, json={"decision": "approve"}), 409, "conflict"
    )
    (mine,) = await who.get("/disclosure-requests")
    assert mine["status"] == "refused" and mine["revealed"] is None
    assert (await who.lookup("tron", OWN))["cases"] == []


async def test_only_a_coordinator_of_the_cases_operation_decides(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, who = await _seeded(client, accounts)
    stranger = await site(client, accounts)
    case_ref = (await who.lookup("tron", SHARED))["cases"][0]["case_ref"]
    asked = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": case_ref, "reason": "Synthetic reason"},
    )
    headers = stranger.field.coordinator_headers
    assert (await client.get(REQUESTS, headers=headers)).json() == []
    response = await client.post(
        f"{REQUESTS}/{asked.json()['id']}/decide", headers=headers, json={"decision": "approve"}
    )
    assert_problem(response, 404, "not-found")


async def test_a_request_about_an_unknown_reference_is_not_found(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, who = await _seeded(client, accounts)
    response = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": "cr_" + "0" * 20, "reason": "Synthetic reason"},
    )
    assert_problem(response, 404, "not-found")


@pytest.mark.skipif(not is_postgres(), reason="concurrent writers need PostgreSQL")
async def test_two_coordinators_deciding_at_once_one_wins(
    client: AsyncClient, accounts: Accounts
) -> None:
    place, who = await _seeded(client, accounts)
    second = await accounts.create("coordinator")
    added = await client.post(
        f"/api/v1/operations/{place.field.operation_id}/members",
        headers=place.field.coordinator_headers,
        json={"user_id": str(second.id)},
    )
    assert added.status_code == 201
    other = await accounts.headers(second)
    case_ref = (await who.lookup("tron", SHARED))["cases"][0]["case_ref"]
    asks = await asyncio.gather(
        *(
            client.post(
                f"{who.base}/disclosure-requests",
                headers=who.headers,
                json={"case_ref": case_ref, "reason": f"Synthetic reason {n}"},
            )
            for n in range(4)
        )
    )
    assert sorted(a.status_code for a in asks) == [201, 409, 409, 409]
    request_id = next(a.json()["id"] for a in asks if a.status_code == 201)
    url = f"{REQUESTS}/{request_id}/decide"
    answers = await asyncio.gather(
        client.post(url, headers=place.field.coordinator_headers, json={"decision": "approve"}),
        client.post(url, headers=other, json={"decision": "refuse"}),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]


async def test_a_recorded_legal_basis_stands_in_for_consent(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    case_id = await place.case(consent_state=None, disclosures=[(SHARED, {"chain": "tron"})])
    who = await investigator(client, accounts)
    assert (await who.lookup("tron", SHARED))["cases"] == []
    url = f"/api/v1/linkage/cases/{case_id}/legal-basis"
    headers = place.field.coordinator_headers
    recorded = await client.put(
        url, headers=headers, json={"legal_basis": "Synthetic order 7/TEST"}
    )
    assert recorded.status_code == 204, recorded.text
    assert len((await who.lookup("tron", SHARED))["cases"]) == 1
    stranger = await site(client, accounts)
    refused = await client.delete(url, headers=stranger.field.coordinator_headers)
    assert_problem(refused, 404, "not-found")
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await who.lookup("tron", SHARED))["cases"] == []
