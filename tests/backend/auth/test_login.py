"""Signing in, tokens, sign-out, throttling and the absence of user enumeration."""

from __future__ import annotations

import datetime as dt
import uuid

from httpx import AsyncClient
from sqlalchemy import select, update

from backend.db.models import AccessToken, AuditEntry, User
from backend.runtime import Runtime
from tests.conftest import PASSWORD, Accounts, assert_problem, client_for

TOKEN = "/api/v1/auth/token"


async def test_login_returns_a_bearer_token_that_opens_me(
    client: AsyncClient, accounts: Accounts
) -> None:
    account = await accounts.create("caseworker")
    response = await client.post(TOKEN, json={"username": account.username, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["role"] == "caseworker"
    assert dt.datetime.fromisoformat(body["expires_at"]) > dt.datetime.now(dt.UTC)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == account.username


async def test_username_is_case_insensitive(client: AsyncClient, accounts: Accounts) -> None:
    account = await accounts.create("coordinator", username="Coord.Example")
    response = await client.post(TOKEN, json={"username": "COORD.example", "password": PASSWORD})
    assert response.status_code == 200
    assert account.username == "coord.example"


async def test_only_a_hash_of_the_token_is_stored(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    account = await accounts.create("caseworker")
    token = await accounts.token(account)
    async with runtime.db.session() as session:
        rows = (await session.execute(select(AccessToken))).scalars().all()
    assert len(rows) == 1
    assert token.encode() not in rows[0].token_hash
    assert len(rows[0].token_hash) == 32


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: AsyncClient, accounts: Accounts
) -> None:
    account = await accounts.create("caseworker")
    wrong = await client.post(TOKEN, json={"username": account.username, "password": "x" * 20})
    unknown = await client.post(TOKEN, json={"username": "nobody-here", "password": "x" * 20})
    body_wrong = assert_problem(wrong, 401, "invalid-credentials")
    body_unknown = assert_problem(unknown, 401, "invalid-credentials")
    for key in ("type", "title", "status", "detail"):
        assert body_wrong.get(key) == body_unknown.get(key)


async def test_failed_login_is_audited_and_survives_the_rollback(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    account = await accounts.create("caseworker")
    await client.post(TOKEN, json={"username": account.username, "password": "y" * 20})
    async with runtime.db.session() as session:
        actions = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.outcome).order_by(AuditEntry.seq)
            )
        ).all()
    assert ("auth.login", "failure") in [tuple(a) for a in actions]


async def test_account_backs_off_after_repeated_failures(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    account = await accounts.create("caseworker")
    limit = runtime.settings.login_account_max_failures
    for _ in range(limit):
        r = await client.post(TOKEN, json={"username": account.username, "password": "z" * 20})
        assert r.status_code == 401
    # Now even the right password is refused until the back-off passes.
    blocked = await client.post(TOKEN, json={"username": account.username, "password": PASSWORD})
    body = assert_problem(blocked, 429, "too-many-attempts")
    assert int(blocked.headers["retry-after"]) >= 1
    assert body["retry_after"] == int(blocked.headers["retry-after"])


async def test_unknown_accounts_back_off_exactly_like_known_ones(
    client: AsyncClient, runtime: Runtime
) -> None:
    limit = runtime.settings.login_account_max_failures
    for _ in range(limit):
        await client.post(TOKEN, json={"username": "ghost", "password": "z" * 20})
    blocked = await client.post(TOKEN, json={"username": "ghost", "password": "z" * 20})
    assert_problem(blocked, 429, "too-many-attempts")


async def test_client_address_backs_off_across_accounts(
    client: AsyncClient, runtime: Runtime, accounts: Accounts
) -> None:
    limit = runtime.settings.login_address_max_failures
    for n in range(limit):
        r = await client.post(TOKEN, json={"username": f"spray-{n}", "password": "z" * 20})
        assert r.status_code == 401
    account = await accounts.create("caseworker")
    blocked = await client.post(TOKEN, json={"username": account.username, "password": PASSWORD})
    assert_problem(blocked, 429, "too-many-attempts")


async def test_a_success_resets_the_account_counter(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    account = await accounts.create("caseworker")
    for _ in range(runtime.settings.login_account_max_failures - 1):
        await client.post(TOKEN, json={"username": account.username, "password": "z" * 20})
    assert (
        await client.post(TOKEN, json={"username": account.username, "password": PASSWORD})
    ).status_code == 200
    for _ in range(runtime.settings.login_account_max_failures - 1):
        await client.post(TOKEN, json={"username": account.username, "password": "z" * 20})
    assert (
        await client.post(TOKEN, json={"username": account.username, "password": PASSWORD})
    ).status_code == 200


async def test_logout_revokes_the_token(client: AsyncClient, accounts: Accounts) -> None:
    _, headers = await accounts.signed_in("investigator")
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "unauthenticated")


async def test_expired_token_is_refused(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    _, headers = await accounts.signed_in("caseworker")
    async with runtime.db.session() as session, session.begin():
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await session.execute(update(AccessToken).values(expires_at=past))
    response = await client.get("/api/v1/me", headers=headers)
    body = assert_problem(response, 401, "unauthenticated")
    assert "expired" in str(body["detail"])
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_disabled_account_cannot_sign_in_or_use_its_tokens(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    account, headers = await accounts.signed_in("caseworker")
    async with runtime.db.session() as session, session.begin():
        await session.execute(
            update(User).where(User.id == account.id).values(disabled_at=dt.datetime.now(dt.UTC))
        )
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "unauthenticated")
    again = await client.post(TOKEN, json={"username": account.username, "password": PASSWORD})
    assert_problem(again, 401, "invalid-credentials")


async def test_garbage_tokens_are_401_not_500(client: AsyncClient) -> None:
    values: list[str | bytes] = [
        "Bearer",
        "Bearer ",
        "Basic abc",
        "Bearer lt1_" + "a" * 500,
        b"Bearer \xe2\x98\x83",
        "bearer x y",
    ]
    for value in values:
        response = await client.get("/api/v1/me", headers={"Authorization": value})
        assert_problem(response, 401, "unauthenticated")


async def test_password_is_rehashed_when_parameters_change(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, tmp_path: object
) -> None:
    from backend.app import build_runtime, create_app
    from tests.conftest import make_settings

    account = await accounts.create("caseworker")
    async with runtime.db.session() as session:
        before = (await session.get(User, account.id)).password_hash  # type: ignore[union-attr]
    stronger = make_settings(
        runtime.settings.data_dir,
        runtime.settings.effective_database_url,
        argon2_time_cost=2,
    )
    other = build_runtime(stronger)
    async with client_for(create_app(runtime=other)) as c2:
        ok = await c2.post(TOKEN, json={"username": account.username, "password": PASSWORD})
        assert ok.status_code == 200
    async with runtime.db.session() as session:
        after = (await session.get(User, account.id)).password_hash  # type: ignore[union-attr]
    assert before != after
    assert "t=1" in before and "t=2" in after


async def test_device_id_is_bound_to_the_token(client: AsyncClient, accounts: Accounts) -> None:
    device = uuid.uuid4()
    _, headers = await accounts.signed_in("caseworker", device_id=device)
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["device_id"] == str(device)


async def test_unknown_users_cost_the_same_hash_work_as_known_ones(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """No enumeration by timing: an unknown user still costs one full argon2 verification."""
    account = await accounts.create("caseworker")
    real = runtime.hasher._hasher  # the argon2-cffi hasher the service uses
    calls: list[str] = []

    class Counting:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def verify(self, stored: str, password: str) -> bool:
            calls.append(stored.split("$")[3])  # the parameters, e.g. m=1024,t=1,p=1
            return real.verify(stored, password)

        def hash(self, password: str) -> str:
            calls.append("extra hash")  # work only one of the two sign-ins would do
            return real.hash(password)

    runtime.hasher._hasher = Counting()  # type: ignore[assignment]
    try:
        await client.post(TOKEN, json={"username": account.username, "password": "w" * 20})
        await client.post(TOKEN, json={"username": "no-such-person", "password": "w" * 20})
    finally:
        runtime.hasher._hasher = real
    assert len(calls) == 2
    assert calls[0] == calls[1]  # the same argon2 parameters, so the same work


async def test_a_forged_forwarded_for_header_does_not_escape_the_address_back_off(
    client: AsyncClient, runtime: Runtime
) -> None:
    limit = runtime.settings.login_address_max_failures
    for n in range(limit):
        await client.post(
            TOKEN,
            json={"username": f"spray-{n}", "password": "z" * 20},
            headers={"X-Forwarded-For": f"198.51.100.{n % 250}"},
        )
    blocked = await client.post(
        TOKEN,
        json={"username": "fresh-name", "password": "z" * 20},
        headers={"X-Forwarded-For": "192.0.2.1"},
    )
    assert_problem(blocked, 429, "too-many-attempts")
