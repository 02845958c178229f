"""The coordinator's console pages: triage with total, filters and paging; the case; erasing."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from backend.console import coordinator
from backend.db.models import AuditEntry
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.cases.test_triage import _seed
from tests.backend.console.helpers import console_sign_in, csrf_of
from tests.backend.sync.support import FAKE_ACCOUNT, FAKE_GIVEN, Field, field_operation
from tests.conftest import Account, Accounts


async def _coordinator_in_console(client: AsyncClient, field: Field) -> Account:
    me = (await client.get("/api/v1/me", headers=field.coordinator_headers)).json()
    account = Account(id=uuid.UUID(me["id"]), username=me["username"], role="coordinator")
    assert (await console_sign_in(client, account)).status_code == 303
    return account


def _case_links(html: str) -> list[str]:
    return re.findall(r'href="/console/cases/([0-9a-f-]{36})"', html)


async def _case_reads(runtime: Runtime) -> list[tuple[str | None, str]]:
    async with read_transaction(runtime.db) as session:
        rows = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "case.read"))
        ).scalars()
        return [(r.object_id, json.loads(r.detail)["purpose"]) for r in rows]


async def test_triage_lists_urgent_first_with_a_total_and_no_identity(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    await _coordinator_in_console(client, field)
    page = await client.get("/console/cases")
    assert page.status_code == 200, page.text
    assert "4 cases match" in page.text
    assert _case_links(page.text)[:2] == [str(ids["needs_child"]), str(ids["child"])]
    assert FAKE_GIVEN not in page.text  # the list shows no identity field
    assert "Operation Testbed" in page.text  # operations by name


async def test_triage_filters_and_pages(
    client: AsyncClient, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    await _coordinator_in_console(client, field)
    children = await client.get("/console/cases", params={"flag": "child"})
    assert set(_case_links(children.text)) == {str(ids["child"]), str(ids["needs_child"])}
    assert "2 cases match" in children.text
    thai = await client.get("/console/cases", params={"nationality": "TH"})
    assert _case_links(thai.text) == [str(ids["th_adult"])]
    monkeypatch.setattr(coordinator, "PAGE_SIZE", 3)
    first = await client.get("/console/cases")
    second = await client.get("/console/cases", params={"page": "2"})
    assert "Page 1 of 2" in first.text and "Page 2 of 2" in second.text
    shown = _case_links(first.text) + _case_links(second.text)
    assert sorted(shown) == sorted(str(i) for i in ids.values())
    assert 'rel="next"' in first.text and 'rel="prev"' in second.text


@pytest.mark.parametrize(
    "params",
    [
        {"band": "nonsense"},
        {"page": "0"},
        {"page": "x"},
        {"nationality": "ZZZ"},
        {"operation": "1"},
    ],
)
async def test_bad_filters_are_a_422_page_not_a_500(
    client: AsyncClient, accounts: Accounts, params: dict[str, str]
) -> None:
    field = await field_operation(client, accounts)
    await _coordinator_in_console(client, field)
    answer = await client.get("/console/cases", params=params)
    assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]


async def test_the_case_asks_the_purpose_first_and_audits_the_read(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    await _coordinator_in_console(client, field)
    asked = await client.get(f"/console/cases/{ids['adult']}")
    assert asked.status_code == 200 and 'name="purpose"' in asked.text
    assert FAKE_GIVEN not in asked.text and await _case_reads(runtime) == []
    opened = await client.get(f"/console/cases/{ids['adult']}", params={"purpose": "referral"})
    assert opened.status_code == 200
    assert FAKE_GIVEN in opened.text and FAKE_ACCOUNT in opened.text
    assert await _case_reads(runtime) == [(str(ids["adult"]), "referral")]
    child = await client.get(f"/console/cases/{ids['needs_child']}", params={"purpose": "review"})
    assert "Indicators found, and the answers behind each" in child.text
    assert "may be under 18" in child.text  # the child flag's note, not a raw structure
    assert "{&#39;" not in child.text and "{'" not in child.text
    odd = await client.get(f"/console/cases/{ids['adult']}", params={"purpose": "curiosity"})
    assert odd.status_code == 422


async def test_another_operations_case_is_not_found(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    stranger = await accounts.create("coordinator")
    await console_sign_in(client, stranger)
    answer = await client.get(f"/console/cases/{ids['adult']}", params={"purpose": "review"})
    assert answer.status_code == 404
    assert FAKE_GIVEN not in answer.text
    listed = await client.get("/console/cases")
    assert "0 cases match" in listed.text


async def test_erasing_needs_a_reason_and_the_confirmation(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    await _coordinator_in_console(client, field)
    page = await client.get(f"/console/cases/{ids['adult']}", params={"purpose": "review"})
    assert "cannot be undone" in page.text
    csrf = csrf_of(page.text)
    path = f"/console/cases/{ids['adult']}/erase"
    for data in ({"csrf": csrf, "reason": "duplicate"}, {"csrf": csrf, "confirm": "yes"}):
        refused = await client.post(path, data=data)
        assert refused.status_code == 422, refused.text
    still = await client.get(f"/console/cases/{ids['adult']}", params={"purpose": "review"})
    assert still.status_code == 200
    erased = await client.post(path, data={"csrf": csrf, "reason": "duplicate", "confirm": "yes"})
    assert erased.status_code == 303
    gone = await client.get(f"/console/cases/{ids['adult']}", params={"purpose": "review"})
    assert gone.status_code == 404


async def test_closing_a_case(client: AsyncClient, accounts: Accounts, runtime: Runtime) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    await _coordinator_in_console(client, field)
    page = await client.get(f"/console/cases/{ids['child']}", params={"purpose": "review"})
    closed = await client.post(
        f"/console/cases/{ids['child']}/close", data={"csrf": csrf_of(page.text)}
    )
    assert closed.status_code == 303
    async with read_transaction(runtime.db) as session:
        rows = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "case.close"))
        ).scalars()
        assert [r.object_id for r in rows] == [str(ids["child"])]
