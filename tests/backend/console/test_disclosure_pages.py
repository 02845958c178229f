"""Disclosure requests in the console: an investigator asks, a coordinator of the case decides."""

from __future__ import annotations

import re

from httpx import AsyncClient

from tests.backend.console.helpers import console_sign_in, csrf_of
from tests.backend.console.test_coordinator_pages import _coordinator_in_console
from tests.backend.investigations.support import site, tron
from tests.conftest import Accounts

WALLET = tron("console-disclosure")


async def test_a_request_is_asked_decided_and_its_state_shown(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    await place.case(disclosures=[(WALLET, {"chain": "tron"})])
    who = await accounts.create("investigator")
    await console_sign_in(client, who)
    page = await client.get("/console/investigations")
    opened = await client.post(
        "/console/investigations",
        data={"csrf": csrf_of(page.text), "title": "Ring", "purpose": "Trace", "legal_basis": "W"},
    )
    base = opened.headers["location"]
    lookup = await client.get(base, params={"address": WALLET})
    ask = re.search(r'href="([^"]+/requests\?case_ref=[^"]+)"', lookup.text)
    assert ask, lookup.text
    form = await client.get(ask.group(1).replace("&amp;", "&"))
    case_ref = re.search(r'name="case_ref" required maxlength="64" value="([^"]+)"', form.text)
    assert case_ref
    sent = await client.post(
        f"{base}/requests",
        data={"csrf": csrf_of(form.text), "case_ref": case_ref.group(1), "reason": "Statement"},
    )
    assert sent.status_code == 303, sent.text
    assert "pending" in (await client.get(f"{base}/requests")).text
    forged = await client.post(
        f"{base}/requests",
        data={"csrf": csrf_of(form.text), "case_ref": "x" * 20, "reason": "Guess"},
    )
    assert forged.status_code in {404, 422}

    client.cookies.clear()
    await _coordinator_in_console(client, place.field)
    waiting = await client.get("/console/disclosure-requests")
    assert "Ring" in waiting.text and "Statement" in waiting.text
    action = re.search(
        r'action="(/console/disclosure-requests/[0-9a-f-]{36}/decide)"', waiting.text
    )
    assert action
    bad = await client.post(
        action.group(1), data={"csrf": csrf_of(waiting.text), "decision": "maybe"}
    )
    assert bad.status_code == 422
    done = await client.post(
        action.group(1), data={"csrf": csrf_of(waiting.text), "decision": "approve"}
    )
    assert done.status_code == 303
    twice = await client.post(
        action.group(1), data={"csrf": csrf_of(waiting.text), "decision": "refuse"}
    )
    assert twice.status_code == 409

    client.cookies.clear()
    await console_sign_in(client, who)
    assert "approved" in (await client.get(f"{base}/requests")).text
