"""Revoking a device: its tokens die and it is told to wipe its data."""

from __future__ import annotations

import uuid

from httpx import AsyncClient
from sqlalchemy import select

from backend.db.models import AuditEntry
from backend.runtime import Runtime
from tests.conftest import PASSWORD, Accounts, assert_problem


async def test_admin_revokes_a_device_and_its_next_request_is_told_to_wipe(
    client: AsyncClient, accounts: Accounts
) -> None:
    device = uuid.uuid4()
    caseworker, cw_headers = await accounts.signed_in("caseworker", device_id=device)
    _, admin = await accounts.signed_in("admin")
    response = await client.post(f"/api/v1/devices/{device}/revoke", headers=admin)
    assert response.status_code == 200
    assert response.json()["tokens_revoked"] == 1
    after = await client.get("/api/v1/me", headers=cw_headers)
    body = assert_problem(after, 403, "device-revoked")
    assert body["action"] == "wipe-local-data"
    # Signing in again from that device is refused the same way.
    relogin = await client.post(
        "/api/v1/auth/token",
        json={"username": caseworker.username, "password": PASSWORD, "device_id": str(device)},
    )
    assert_problem(relogin, 403, "device-revoked")


async def test_other_devices_of_the_same_user_keep_working(
    client: AsyncClient, accounts: Accounts
) -> None:
    lost, kept = uuid.uuid4(), uuid.uuid4()
    caseworker = await accounts.create("caseworker")
    lost_headers = await accounts.headers(caseworker, device_id=lost)
    kept_headers = await accounts.headers(caseworker, device_id=kept)
    _, admin = await accounts.signed_in("admin")
    await client.post(f"/api/v1/devices/{lost}/revoke", headers=admin)
    assert (await client.get("/api/v1/me", headers=kept_headers)).status_code == 200
    assert_problem(await client.get("/api/v1/me", headers=lost_headers), 403, "device-revoked")


async def test_coordinator_revokes_devices_of_their_operations_only(
    client: AsyncClient, accounts: Accounts
) -> None:
    inside, outside = uuid.uuid4(), uuid.uuid4()
    member, _ = await accounts.signed_in("caseworker", device_id=inside)
    await accounts.signed_in("caseworker", device_id=outside)
    _, coord = await accounts.signed_in("coordinator")
    op = await client.post(
        "/api/v1/operations",
        headers=coord,
        json={"name": "Op Test", "country": "KH", "site": "Site A"},
    )
    await client.post(
        f"/api/v1/operations/{op.json()['id']}/members",
        headers=coord,
        json={"user_id": str(member.id)},
    )
    assert (await client.post(f"/api/v1/devices/{inside}/revoke", headers=coord)).status_code == 200
    assert_problem(
        await client.post(f"/api/v1/devices/{outside}/revoke", headers=coord), 404, "not-found"
    )


async def test_revocation_and_denied_requests_are_audited(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    device = uuid.uuid4()
    _, cw = await accounts.signed_in("caseworker", device_id=device)
    _, admin = await accounts.signed_in("admin")
    await client.post(f"/api/v1/devices/{device}/revoke", headers=admin)
    await client.get("/api/v1/me", headers=cw)
    async with runtime.db.session() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars().all()
    actions = [(r.action, r.outcome) for r in rows]
    assert ("device.revoke", "success") in actions
    assert ("auth.request_from_revoked_device", "denied") in actions


async def test_revoking_an_unknown_device_is_404(client: AsyncClient, accounts: Accounts) -> None:
    _, admin = await accounts.signed_in("admin")
    assert_problem(
        await client.post(f"/api/v1/devices/{uuid.uuid4()}/revoke", headers=admin), 404, "not-found"
    )


async def test_concurrent_first_sign_ins_from_one_new_device_all_succeed(
    client: AsyncClient, accounts: Accounts
) -> None:
    """An app retrying after a lost response must not get a 500 for registering twice.

    Sign-ins in flight at once count against the back-off limit (an attempt is
    counted before its password is checked), so the burst stays within it.
    """
    import asyncio

    device = uuid.uuid4()
    caseworker = await accounts.create("caseworker")
    body = {"username": caseworker.username, "password": PASSWORD, "device_id": str(device)}
    burst = accounts.runtime.settings.login_account_max_failures
    responses = await asyncio.gather(
        *(client.post("/api/v1/auth/token", json=body) for _ in range(burst))
    )
    assert [r.status_code for r in responses] == [200] * burst
    assert {r.json()["device_id"] for r in responses} == {str(device)}
