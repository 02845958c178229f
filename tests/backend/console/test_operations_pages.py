"""Operations in the console: the list per role, members with their devices, the protected summary."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from tests.backend.cases.test_triage import _seed
from tests.backend.console.helpers import console_sign_in
from tests.backend.console.test_coordinator_pages import _coordinator_in_console
from tests.backend.sync.support import field_operation
from tests.conftest import Accounts


async def test_operations_are_listed_as_the_api_lists_them(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await _coordinator_in_console(client, field)
    mine = await client.get("/console/operations")
    assert "Operation Testbed" in mine.text and "/members" in mine.text
    client.cookies.clear()
    await console_sign_in(client, await accounts.create("coordinator"))
    stranger = await client.get("/console/operations")
    assert "Operation Testbed" not in stranger.text
    client.cookies.clear()
    await console_sign_in(client, await accounts.create("admin"))
    admin = await client.get("/console/operations")
    assert "Operation Testbed" in admin.text and "/members" not in admin.text


async def test_members_link_to_their_devices(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    await _coordinator_in_console(client, field)
    page = await client.get(f"/console/operations/{field.operation_id}/members")
    assert page.status_code == 200
    devices = f"/console/admin/users/{field.caseworker.user_id}/devices"
    assert devices in page.text
    listed = await client.get(devices)
    assert listed.status_code == 200 and str(field.caseworker.id) in listed.text
    other = await client.get(f"/console/operations/{uuid.uuid4()}/members")
    assert other.status_code == 404


async def test_the_summary_suppresses_small_counts_and_downloads_as_csv(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await _seed(field)
    await _coordinator_in_console(client, field)
    page = await client.get(f"/console/operations/{field.operation_id}/summary")
    assert page.status_code == 200, page.text
    assert "suppressed" in page.text  # one consented case: every count is below k
    assert '<svg class="bar"' in page.text
    csv = await client.get(
        f"/console/operations/{field.operation_id}/summary", params={"format": "csv"}
    )
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    api = await client.get(
        f"/api/v1/operations/{field.operation_id}/summary",
        headers=field.coordinator_headers,
        params={"format": "csv"},
    )
    assert csv.text == api.text
