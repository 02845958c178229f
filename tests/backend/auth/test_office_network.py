"""One bad client at a field office must not lock the office out.

Field offices share one address. The per-network ceiling slows a guesser
there, but never someone who has signed in from that address before; an
admin can clear an address's counters at once (command line and API),
and that is audited.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from backend.app import build_runtime, create_app
from backend.cli import main
from backend.crypto.keys import activate_master_key, add_master_key
from backend.db.models import AuditEntry
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.auth.test_backoff import _guess, _sign_in, client_from
from tests.conftest import Accounts, assert_problem, make_settings

OFFICE = "198.51.100.20"
UNLOCK = "/api/v1/auth/networks/unlock"


@pytest.fixture
def office(tmp_path: Path, database_url: str) -> Runtime:
    """Small limits: ten failures from one network lock it for ten minutes and more."""
    return build_runtime(
        make_settings(
            tmp_path,
            database_url,
            login_account_max_failures=3,
            login_address_max_failures=10,
            login_account_ceiling=50,
            login_backoff_base_seconds=600,
        )
    )


async def _burst(client: httpx.AsyncClient, n: int = 25) -> None:
    """A misconfigured or hostile client: failed sign-ins under many names, until refused."""
    answers = [await _guess(client, f"no-such-user-{i}") for i in range(n)]
    assert answers[-1].status_code == 429, [a.status_code for a in answers]


async def test_people_who_signed_in_from_the_office_before_still_sign_in_after_a_burst(
    office: Runtime, accounts: Accounts
) -> None:
    app = create_app(runtime=office)
    admin = await accounts.create("admin")
    newcomer = await accounts.create("caseworker")
    async with client_from(app, OFFICE) as desk:
        assert (await _sign_in(desk, admin.username)).status_code == 200
        await _burst(desk)
        # The admin has signed in from here before: the network ceiling does not apply.
        assert (await _sign_in(desk, admin.username)).status_code == 200
        # Someone never seen here is still slowed down, and so is the guesser.
        assert_problem(await _sign_in(desk, newcomer.username), 429, "too-many-attempts")
        assert_problem(await _guess(desk, admin.username), 401, "invalid-credentials")
        assert_problem(await _guess(desk, "no-such-user-x"), 429, "too-many-attempts")
    await app.state.runtime.db.dispose()


async def test_a_trusted_place_survives_a_key_rotation(office: Runtime, accounts: Accounts) -> None:
    app = create_app(runtime=office)
    admin = await accounts.create("admin")
    async with client_from(app, OFFICE) as desk:
        assert (await _sign_in(desk, admin.username)).status_code == 200
        path = office.settings.effective_key_file
        activate_master_key(path, add_master_key(path))
        office.keyring.refresh()
        await _burst(desk)
        assert (await _sign_in(desk, admin.username)).status_code == 200
    await app.state.runtime.db.dispose()


async def test_an_admin_clears_an_address_through_the_api_audited(
    office: Runtime, accounts: Accounts
) -> None:
    app = create_app(runtime=office)
    newcomer = await accounts.create("caseworker")
    async with client_from(app, OFFICE) as desk, client_from(app, "192.0.2.1") as hq:
        admin = await accounts.create("admin")
        token = (await _sign_in(hq, admin.username)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        await _burst(desk)
        assert_problem(await _sign_in(desk, newcomer.username), 429, "too-many-attempts")
        coordinator = await accounts.create("coordinator")
        theirs = (await _sign_in(hq, coordinator.username)).json()["access_token"]
        refused = await hq.post(
            UNLOCK, json={"address": OFFICE}, headers={"Authorization": f"Bearer {theirs}"}
        )
        assert_problem(refused, 403, "forbidden")
        for bad in ("not-an-address", "198.51.100.0/24", "", "198.51.100.20\u200b"):
            answer = await hq.post(UNLOCK, json={"address": bad}, headers=headers)
            body = assert_problem(answer, 422, "validation")
            assert [(e["field"], e["location"]) for e in body["errors"]] == [("address", "body")]  # type: ignore[union-attr]
            assert not bad or bad not in json.dumps(body)  # the value is never echoed
        cleared = await hq.post(UNLOCK, json={"address": OFFICE}, headers=headers)
        assert cleared.status_code == 200, cleared.text
        assert cleared.json() == {"counters_cleared": 1}
        assert (await _sign_in(desk, newcomer.username)).status_code == 200
    async with read_transaction(office.db) as session:
        (entry,) = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "auth.unlock_network")
            )
        ).scalars()
    assert entry.actor_id == admin.id and entry.object_type == "network"
    assert OFFICE not in (entry.object_id or "") + entry.detail  # a keyed tag, not the address
    assert json.loads(entry.detail) == {"counters_cleared": 1}
    await app.state.runtime.db.dispose()


async def test_lantern_users_unlock_network(
    office: Runtime, accounts: Accounts, settings_env: dict[str, str]
) -> None:
    app = create_app(runtime=office)
    newcomer = await accounts.create("caseworker")
    async with client_from(app, "2001:db8:7:7::15") as desk:
        await _burst(desk)
        assert_problem(await _sign_in(desk, newcomer.username), 429, "too-many-attempts")
        result = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["users", "unlock-network", "2001:db8:7:7::1"],
            env=settings_env,
        )
        assert result.exit_code == 0, result.output
        assert "1 counters cleared" in result.output
        assert (await _sign_in(desk, newcomer.username)).status_code == 200
    bad = await asyncio.to_thread(
        CliRunner().invoke, main, ["users", "unlock-network", "office-7"], env=settings_env
    )
    assert bad.exit_code != 0 and "not an IP address" in bad.output
    async with read_transaction(office.db) as session:
        entries = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.action == "auth.unlock_network")
            )
        ).scalars()
        assert [e.actor_role for e in entries] == ["cli"]
    await app.state.runtime.db.dispose()
