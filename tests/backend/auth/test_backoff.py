"""Sign-in back-off: it holds under concurrency, and it cannot be used to lock an owner out."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar
from sqlalchemy import func, select

from backend.app import build_runtime, create_app
from backend.auth.services import client_network
from backend.cli import main
from backend.db.models import LoginThrottle
from backend.runtime import Runtime
from tests.conftest import PASSWORD, Accounts, assert_problem, is_postgres, make_settings

TOKEN = "/api/v1/auth/token"


@contextlib.asynccontextmanager
async def client_from(app: Litestar, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests come from ``address`` (the connection's peer)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _count_password_checks(runtime: Runtime) -> list[int]:
    """Count every password verification the hasher runs (dummy ones included)."""
    calls: list[int] = []
    real = runtime.hasher._verify_sync

    def counting(stored: str | None, password: str) -> Any:
        calls.append(1)
        return real(stored, password)

    runtime.hasher._verify_sync = counting  # type: ignore[method-assign]
    return calls


@pytest.fixture
def tight(tmp_path: Path, database_url: str) -> Runtime:
    """A runtime with small limits, so tests reach them quickly."""
    return build_runtime(
        make_settings(
            tmp_path,
            database_url,
            login_account_max_failures=3,
            login_address_max_failures=1000,
            login_account_ceiling=6,
            login_backoff_base_seconds=600,
        )
    )


async def _guess(client: httpx.AsyncClient, username: str, **extra: object) -> httpx.Response:
    return await client.post(TOKEN, json={"username": username, "password": "w" * 20, **extra})


async def _sign_in(client: httpx.AsyncClient, username: str, **extra: object) -> httpx.Response:
    return await client.post(TOKEN, json={"username": username, "password": PASSWORD, **extra})


@pytest.mark.parametrize("known", [True, False], ids=["known account", "unknown account"])
async def test_forty_concurrent_guesses_pass_at_most_the_limit_to_the_password_check(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime, known: bool
) -> None:
    username = (await accounts.create("caseworker")).username if known else "nobody-at-all"
    checks = _count_password_checks(runtime)
    responses = await asyncio.gather(*(_guess(client, username) for _ in range(40)))
    statuses = sorted(r.status_code for r in responses)
    limit = runtime.settings.login_account_max_failures
    assert len(checks) <= limit, (len(checks), statuses)
    assert statuses.count(401) == len(checks)
    assert statuses.count(429) == 40 - len(checks)
    for response in responses:
        if response.status_code == 429:
            body = assert_problem(response, 429, "too-many-attempts")
            assert int(response.headers["retry-after"]) == body["retry_after"] > 0


async def test_a_guesser_elsewhere_never_locks_the_owner_out_where_they_signed_in_before(
    tight: Runtime, accounts: Accounts
) -> None:
    app = create_app(runtime=tight)
    owner = await accounts.create("caseworker")
    async with client_from(app, "198.51.100.10") as home:
        assert (await _sign_in(home, owner.username)).status_code == 200
        # Guessers from many networks: each network backs off after 3, the account
        # ceiling (6) is reached for places where the owner never signed in.
        for n in range(12):
            async with client_from(app, f"203.0.113.{n + 1}") as guesser:
                await _guess(guesser, owner.username)
        async with client_from(app, "203.0.113.200") as fresh_guesser:
            assert_problem(await _guess(fresh_guesser, owner.username), 429, "too-many-attempts")
            assert_problem(await _sign_in(fresh_guesser, owner.username), 429, "too-many-attempts")
        # The owner, at home, is not affected.
        assert (await _sign_in(home, owner.username)).status_code == 200
    await app.state.runtime.db.dispose()


async def test_the_owners_own_device_is_trusted_from_any_network(
    tight: Runtime, accounts: Accounts
) -> None:
    app = create_app(runtime=tight)
    owner = await accounts.create("caseworker")
    phone = str(uuid.uuid4())
    async with client_from(app, "198.51.100.10") as first:
        assert (await _sign_in(first, owner.username, device_id=phone)).status_code == 200
    for n in range(12):
        async with client_from(app, f"203.0.113.{n + 1}") as guesser:
            await _guess(guesser, owner.username)
    async with client_from(app, "192.0.2.55") as elsewhere:
        assert_problem(await _sign_in(elsewhere, owner.username), 429, "too-many-attempts")
        assert (await _sign_in(elsewhere, owner.username, device_id=phone)).status_code == 200
    await app.state.runtime.db.dispose()


async def test_one_network_backing_off_does_not_hold_back_another(
    tight: Runtime, accounts: Accounts
) -> None:
    app = create_app(runtime=tight)
    owner = await accounts.create("caseworker")
    async with client_from(app, "203.0.113.9") as guesser:
        for _ in range(3):
            assert_problem(await _guess(guesser, owner.username), 401, "invalid-credentials")
        assert_problem(await _sign_in(guesser, owner.username), 429, "too-many-attempts")
    async with client_from(app, "198.51.100.77") as owner_client:
        assert (await _sign_in(owner_client, owner.username)).status_code == 200
    await app.state.runtime.db.dispose()


async def test_ipv6_guesses_are_counted_per_slash_64(tight: Runtime, accounts: Accounts) -> None:
    app = create_app(runtime=tight)
    owner = await accounts.create("caseworker")
    for n in range(3):  # three addresses of one /64
        async with client_from(app, f"2001:db8:1:2::{n + 1:x}") as guesser:
            await _guess(guesser, owner.username)
    async with client_from(app, "2001:db8:1:2:ffff::9") as same_network:
        assert_problem(await _sign_in(same_network, owner.username), 429, "too-many-attempts")
    async with client_from(app, "2001:db8:1:3::1") as next_network:
        assert (await _sign_in(next_network, owner.username)).status_code == 200
    await app.state.runtime.db.dispose()


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_client_network(address: str, network: str) -> None:
    assert client_network(address) == network


async def test_an_admin_unlocks_an_account_at_once(
    tight: Runtime, accounts: Accounts, client: httpx.AsyncClient
) -> None:
    app = create_app(runtime=tight)
    owner = await accounts.create("caseworker")
    async with client_from(app, "203.0.113.9") as locked_out:
        for _ in range(4):
            await _guess(locked_out, owner.username)
        assert_problem(await _sign_in(locked_out, owner.username), 429, "too-many-attempts")
        _, admin = await accounts.signed_in("admin")
        unlocked = await client.post(f"/api/v1/users/{owner.id}/unlock", headers=admin)
        assert unlocked.status_code == 200, unlocked.text
        assert unlocked.json()["counters_cleared"] >= 1
        assert (await _sign_in(locked_out, owner.username)).status_code == 200
    await app.state.runtime.db.dispose()


async def test_lantern_users_unlock(
    tight: Runtime, accounts: Accounts, settings_env: dict[str, str]
) -> None:
    app = create_app(runtime=tight)
    owner = await accounts.create("caseworker")
    async with client_from(app, "203.0.113.9") as locked_out:
        for _ in range(4):
            await _guess(locked_out, owner.username)
        result = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["users", "unlock", "--username", owner.username],
            env=settings_env,
        )
        assert result.exit_code == 0, result.output
        assert "unlocked" in result.output
        assert (await _sign_in(locked_out, owner.username)).status_code == 200
    await app.state.runtime.db.dispose()


async def test_stale_counters_are_pruned(client: httpx.AsyncClient, runtime: Runtime) -> None:
    import datetime as dt

    from backend.db.session import write_transaction

    await _guess(client, "someone-old")
    async with write_transaction(runtime.db) as session:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
        rows = (await session.execute(select(LoginThrottle))).scalars().all()
        for row in rows:
            row.last_failure_at = old
    before = len(rows)
    await _guess(client, "someone-new")  # new counters: old ones are pruned
    async with runtime.db.read_session() as session:
        count = (await session.execute(select(func.count()).select_from(LoginThrottle))).scalar()
    assert before >= 3
    assert count == 3  # only the new attempt's counters remain


@pytest.mark.skipif(is_postgres(), reason="SQLite's single write lock")
async def test_the_password_is_checked_without_holding_the_write_lock(
    client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime, database_url: str
) -> None:
    owner = await accounts.create("caseworker")
    hashing = asyncio.Event()
    release = asyncio.Event()
    real_verify = runtime.hasher.verify

    async def slow_verify(stored: str | None, password: str) -> Any:
        hashing.set()
        await release.wait()
        return await real_verify(stored, password)

    runtime.hasher.verify = slow_verify  # type: ignore[method-assign]
    sign_in = asyncio.create_task(_sign_in(client, owner.username))
    await asyncio.wait_for(hashing.wait(), 5)
    # While argon2 runs, another writer gets the lock at once.
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    writer = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("COMMIT")
    finally:
        writer.close()
    release.set()
    assert (await sign_in).status_code == 200
