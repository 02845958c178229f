"""Referrals and transfers from the console: the API's workflow and rules, operations by name."""

from __future__ import annotations

import re

from httpx import AsyncClient

from tests.backend.cases.test_triage import _seed
from tests.backend.console.helpers import console_sign_in, csrf_of
from tests.backend.console.test_coordinator_pages import _coordinator_in_console
from tests.backend.sync.support import field_operation
from tests.conftest import Accounts


async def test_a_referral_is_proposed_and_moved_along_the_workflow(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    await _coordinator_in_console(client, field)
    case = f"/console/cases/{ids['child']}"
    page = await client.get(case, params={"purpose": "referral"})
    csrf = csrf_of(page.text)
    made = await client.post(
        f"{case}/referrals", data={"csrf": csrf, "service": "medical", "note": "Synthetic note"}
    )
    assert made.status_code == 303, made.text
    page = await client.get(case, params={"purpose": "referral"})
    referral_id, rev = re.search(
        r'/console/referrals/([0-9a-f-]{36})/move".*?name="rev" value="(\d+)"', page.text, re.S
    ).groups()  # type: ignore[union-attr]
    assert "Move to: accepted" in page.text and "Move to: declined" in page.text
    moved = await client.post(
        f"/console/referrals/{referral_id}/move",
        data={"csrf": csrf, "status": "accepted", "rev": rev},
    )
    assert moved.status_code == 303, moved.text
    stale = await client.post(
        f"/console/referrals/{referral_id}/move",
        data={"csrf": csrf, "status": "in_progress", "rev": rev},
    )
    assert stale.status_code == 409  # changed since the page was shown
    skipped = await client.post(
        f"/console/referrals/{referral_id}/move", data={"csrf": csrf, "status": "completed"}
    )
    assert skipped.status_code == 409  # accepted -> completed is not a step of the workflow
    api = await client.get(f"/api/v1/referrals/{referral_id}", headers=field.coordinator_headers)
    assert api.json()["status"] == "accepted"


async def test_a_bad_referral_form_is_a_422_page(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    await _coordinator_in_console(client, field)
    case = f"/console/cases/{ids['child']}"
    csrf = csrf_of((await client.get(case, params={"purpose": "referral"})).text)
    for data in ({"service": "spa"}, {"service": "medical", "provider_id": "not-a-uuid"}):
        answer = await client.post(f"{case}/referrals", data={"csrf": csrf, **data})
        assert answer.status_code == 422, answer.text
        assert "text/html" in answer.headers["content-type"]


async def test_a_case_is_transferred_to_an_operation_chosen_by_name(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    receiver, receiver_headers = await accounts.signed_in("coordinator")
    other = await client.post(
        "/api/v1/operations",
        headers=receiver_headers,
        json={"name": "Operation Elsewhere", "country": "TH", "site": "Nowhere Pier"},
    )
    assert other.status_code == 201
    await _coordinator_in_console(client, field)
    case = f"/console/cases/{ids['adult']}"
    page = await client.get(case, params={"purpose": "review"})
    assert "Operation Elsewhere (TH)" in page.text
    assert "Operation Testbed (" not in page.text  # not its own operation
    offered = await client.post(
        f"{case}/transfer", data={"csrf": csrf_of(page.text), "to_operation": other.json()["id"]}
    )
    assert offered.status_code == 303, offered.text
    client.cookies.clear()
    await console_sign_in(client, receiver)
    listed = await client.get("/console/transfers")
    assert "Operation Testbed" in listed.text and "Operation Elsewhere" in listed.text
    accept = re.search(r'action="(/console/transfers/[0-9a-f-]{36}/accept)"', listed.text)
    assert accept
    done = await client.post(accept.group(1), data={"csrf": csrf_of(listed.text)})
    assert done.status_code == 303
    moved = await client.get(case, params={"purpose": "review"})
    assert moved.status_code == 200  # now a case of the receiver's operation
