"""Admins act on a person, not only on a phone; devices belong to people."""

from __future__ import annotations

import asyncio
import json
import uuid

from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import update

from backend.cli import main
from backend.db.base import utcnow
from backend.db.models import Device, User
from backend.db.session import write_transaction
from backend.runtime import Runtime
from tests.conftest import PASSWORD, Accounts, assert_problem

TOKEN = "/api/v1/auth/token"


async def test_disabling_an_account_refuses_its_tokens_at_once_and_its_sign_in(
    client: AsyncClient, accounts: Accounts
) -> None:
    worker, headers = await accounts.signed_in("caseworker")
    second_token = await accounts.headers(worker)
    _, admin = await accounts.signed_in("admin")
    disabled = await client.post(f"/api/v1/users/{worker.id}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    for h in (headers, second_token):
        assert_problem(await client.get("/api/v1/me", headers=h), 401, "unauthenticated")
    refused = await client.post(TOKEN, json={"username": worker.username, "password": PASSWORD})
    assert_problem(refused, 401, "invalid-credentials")
    enabled = await client.post(f"/api/v1/users/{worker.id}/enable", headers=admin)
    assert enabled.json()["disabled"] is False
    again = await client.post(TOKEN, json={"username": worker.username, "password": PASSWORD})
    assert again.status_code == 200


async def test_revoking_every_token_of_a_user(client: AsyncClient, accounts: Accounts) -> None:
    worker, first = await accounts.signed_in("caseworker", device_id=uuid.uuid4())
    second = await accounts.headers(worker)
    _, admin = await accounts.signed_in("admin")
    response = await client.post(f"/api/v1/users/{worker.id}/revoke-tokens", headers=admin)
    assert response.json() == {"tokens_revoked": 2}
    for h in (first, second):
        assert_problem(await client.get("/api/v1/me", headers=h), 401, "unauthenticated")


async def test_admin_actions_on_an_unknown_account_are_404(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, admin = await accounts.signed_in("admin")
    for action in ("disable", "enable", "revoke-tokens", "unlock"):
        response = await client.post(f"/api/v1/users/{uuid.uuid4()}/{action}", headers=admin)
        assert_problem(response, 404, "not-found")


async def test_a_token_is_refused_by_the_query_that_finds_it(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """A token that a racing sign-in issued after the revocation is refused all the same.

    The revocation set ``revoked_at`` on the device and on the tokens it could
    see; a token committed a moment later by a sign-in that had already checked
    the device is not among them. Only the device's state can refuse it.
    """
    device = uuid.uuid4()
    _, headers = await accounts.signed_in("caseworker", device_id=device)
    async with write_transaction(runtime.db) as session:  # the device only, not its tokens
        await session.execute(update(Device).where(Device.id == device).values(revoked_at=utcnow()))
    body = assert_problem(await client.get("/api/v1/me", headers=headers), 403, "device-revoked")
    assert body["action"] == "wipe-local-data"

    other, other_headers = await accounts.signed_in("coordinator")
    async with write_transaction(runtime.db) as session:  # the account only, not its tokens
        await session.execute(update(User).where(User.id == other.id).values(disabled_at=utcnow()))
    assert_problem(await client.get("/api/v1/me", headers=other_headers), 401, "unauthenticated")


async def test_a_revocation_racing_a_sign_in_leaves_no_usable_token(
    client: AsyncClient, accounts: Accounts
) -> None:
    device = uuid.uuid4()
    worker = await accounts.create("caseworker")
    await accounts.headers(worker, device_id=device)  # registers the device
    _, admin = await accounts.signed_in("admin")
    body = {"username": worker.username, "password": PASSWORD, "device_id": str(device)}
    sign_ins = [client.post(TOKEN, json=body) for _ in range(3)]
    revoke = client.post(f"/api/v1/devices/{device}/revoke", headers=admin)
    *answers, revoked = await asyncio.gather(*sign_ins, revoke)
    assert revoked.status_code == 200
    for answer in answers:
        if answer.status_code == 200:  # issued before or while the revocation committed
            token = answer.json()["access_token"]
            me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert_problem(me, 403, "device-revoked")
        else:
            assert_problem(answer, 403, "device-revoked")


async def test_listing_accounts_filters_by_role_and_username(
    client: AsyncClient, accounts: Accounts
) -> None:
    await accounts.create("caseworker", username="field.alpha")
    await accounts.create("caseworker", username="field.beta")
    await accounts.create("coordinator", username="office.alpha")
    _, admin = await accounts.signed_in("admin")
    by_name = await client.get("/api/v1/users", headers=admin, params={"username": "ALPHA"})
    assert [u["username"] for u in by_name.json()] == ["field.alpha", "office.alpha"]
    both = await client.get(
        "/api/v1/users", headers=admin, params={"username": "alpha", "role": "caseworker"}
    )
    assert [u["username"] for u in both.json()] == ["field.alpha"]
    wildcard = await client.get("/api/v1/users", headers=admin, params={"username": "%"})
    assert wildcard.json() == []  # LIKE wildcards are matched literally


async def test_lantern_users_list_and_disable(
    client: AsyncClient, accounts: Accounts, settings_env: dict[str, str]
) -> None:
    worker, headers = await accounts.signed_in("caseworker")
    await accounts.create("admin", username="the.admin")
    runner = CliRunner()
    listed = await asyncio.to_thread(
        runner.invoke, main, ["users", "list", "--role", "caseworker"], env=settings_env
    )
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["username"] for r in rows] == [worker.username]
    disabled = await asyncio.to_thread(
        runner.invoke, main, ["users", "disable", "--username", worker.username], env=settings_env
    )
    assert disabled.exit_code == 0, disabled.output
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "unauthenticated")
    unknown = await asyncio.to_thread(
        runner.invoke, main, ["users", "disable", "--username", "nobody.here"], env=settings_env
    )
    assert unknown.exit_code != 0 and "nobody.here" in unknown.output


async def test_a_device_bound_to_one_account_cannot_sign_in_another(
    client: AsyncClient, accounts: Accounts
) -> None:
    phone = uuid.uuid4()
    owner = await accounts.create("caseworker")
    other = await accounts.create("caseworker")
    await accounts.headers(owner, device_id=phone)
    body = {"username": other.username, "password": PASSWORD, "device_id": str(phone)}
    assert_problem(await client.post(TOKEN, json=body), 403, "device-bound-elsewhere")
    assert (await accounts.headers(owner, device_id=phone))["Authorization"]


async def test_a_revoked_device_is_told_to_wipe_even_with_a_wrong_password(
    client: AsyncClient, accounts: Accounts
) -> None:
    phone = uuid.uuid4()
    owner = await accounts.create("caseworker")
    await accounts.headers(owner, device_id=phone)
    _, admin = await accounts.signed_in("admin")
    await client.post(f"/api/v1/devices/{phone}/revoke", headers=admin)
    body = {"username": owner.username, "password": "w" * 20, "device_id": str(phone)}
    answer = assert_problem(await client.post(TOKEN, json=body), 403, "device-revoked")
    assert answer["action"] == "wipe-local-data"


async def test_who_may_list_and_revoke_a_persons_devices(
    client: AsyncClient, accounts: Accounts
) -> None:
    phone = uuid.uuid4()
    worker, own = await accounts.signed_in("caseworker", device_id=phone)
    coordinator, coord = await accounts.signed_in("coordinator")
    stranger, strange = await accounts.signed_in("coordinator")
    _, admin = await accounts.signed_in("admin")
    operation = await client.post(
        "/api/v1/operations", headers=coord, json={"name": "Op Test", "country": "KH", "site": "A"}
    )
    op_id = operation.json()["id"]
    added = await client.post(
        f"/api/v1/operations/{op_id}/members", headers=coord, json={"user_id": str(worker.id)}
    )
    assert added.status_code == 201

    mine = await client.get("/api/v1/me/devices", headers=own)
    assert [d["id"] for d in mine.json()] == [str(phone)]
    for headers in (admin, coord):
        listed = await client.get(f"/api/v1/users/{worker.id}/devices", headers=headers)
        assert [d["id"] for d in listed.json()] == [str(phone)]
    assert_problem(
        await client.get(f"/api/v1/users/{worker.id}/devices", headers=strange), 404, "not-found"
    )
    assert_problem(
        await client.post(f"/api/v1/devices/{phone}/revoke", headers=strange), 404, "not-found"
    )
    assert_problem(
        await client.post(f"/api/v1/devices/{phone}/revoke", headers=own), 403, "forbidden"
    )
    revoked = await client.post(f"/api/v1/devices/{phone}/revoke", headers=coord)
    assert revoked.status_code == 200
    assert stranger.id != coordinator.id


async def test_a_coordinator_removes_a_member(client: AsyncClient, accounts: Accounts) -> None:
    worker = await accounts.create("caseworker")
    _, coord = await accounts.signed_in("coordinator")
    op_id = (
        await client.post(
            "/api/v1/operations", headers=coord, json={"name": "Op R", "country": "TH", "site": "B"}
        )
    ).json()["id"]
    members = f"/api/v1/operations/{op_id}/members"
    await client.post(members, headers=coord, json={"user_id": str(worker.id)})
    removed = await client.delete(f"{members}/{worker.id}", headers=coord)
    assert removed.status_code == 204
    listed = await client.get(members, headers=coord)
    assert str(worker.id) not in {m["user_id"] for m in listed.json()}
    again = await client.delete(f"{members}/{worker.id}", headers=coord)
    assert again.status_code == 204  # idempotent
    _, outsider = await accounts.signed_in("coordinator")
    assert_problem(
        await client.delete(f"{members}/{worker.id}", headers=outsider), 404, "not-found"
    )


async def test_adding_a_member_does_not_reveal_roles_the_caller_may_not_see(
    client: AsyncClient, accounts: Accounts
) -> None:
    investigator = await accounts.create("investigator")
    admin = await accounts.create("admin")
    _, coord = await accounts.signed_in("coordinator")
    op_id = (
        await client.post(
            "/api/v1/operations", headers=coord, json={"name": "Op M", "country": "MM", "site": "C"}
        )
    ).json()["id"]
    reasons = []
    for user_id in (investigator.id, admin.id, uuid.uuid4()):
        response = await client.post(
            f"/api/v1/operations/{op_id}/members", headers=coord, json={"user_id": str(user_id)}
        )
        body = assert_problem(response, 422, "validation")
        reasons.append(json.dumps(body["errors"]))
    assert len(set(reasons)) == 1, reasons
    assert "investigator" not in reasons[0] and "admin" not in reasons[0]


async def test_admins_list_every_operation(client: AsyncClient, accounts: Accounts) -> None:
    _, coord = await accounts.signed_in("coordinator")
    created = await client.post(
        "/api/v1/operations", headers=coord, json={"name": "Op L", "country": "PH", "site": "D"}
    )
    _, admin = await accounts.signed_in("admin")
    listed = await client.get("/api/v1/operations", headers=admin)
    assert listed.status_code == 200
    assert created.json()["id"] in {op["id"] for op in listed.json()}
