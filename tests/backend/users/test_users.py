"""Creating accounts through the API and the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import select

from backend.cli import main
from backend.db.models import AuditEntry, User
from backend.runtime import Runtime
from tests.conftest import PASSWORD, Accounts, assert_problem

USERS = "/api/v1/users"


async def test_admin_creates_a_user_who_can_then_sign_in(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    _, admin = await accounts.signed_in("admin")
    response = await client.post(
        USERS,
        headers=admin,
        json={"username": "New.Caseworker", "password": PASSWORD, "role": "caseworker"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "new.caseworker"
    assert "password" not in body and "password_hash" not in body
    login = await client.post(
        "/api/v1/auth/token", json={"username": "new.caseworker", "password": PASSWORD}
    )
    assert login.status_code == 200
    async with runtime.db.session() as session:
        stored = (
            await session.execute(
                select(User.password_hash).where(User.username == "new.caseworker")
            )
        ).scalar_one()
        audited = (
            await session.execute(
                select(AuditEntry.action).where(AuditEntry.action == "user.create")
            )
        ).all()
    assert stored.startswith("$argon2id$")
    assert audited


async def test_weak_password_is_a_422_with_field_errors_and_no_user(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    _, admin = await accounts.signed_in("admin")
    response = await client.post(
        USERS,
        headers=admin,
        json={"username": "weak.one", "password": "passwordpassword", "role": "caseworker"},
    )
    body = assert_problem(response, 422, "validation")
    assert body["errors"] == [
        {
            "field": "password",
            "reason": "is a commonly used password",
            "location": "body",
            "code": "password_policy",
        }
    ]
    async with runtime.db.session() as session:
        assert (
            await session.execute(select(User).where(User.username == "weak.one"))
        ).first() is None


async def test_duplicate_username_is_409(client: AsyncClient, accounts: Accounts) -> None:
    _, admin = await accounts.signed_in("admin")
    body = {"username": "twice", "password": PASSWORD, "role": "investigator"}
    assert (await client.post(USERS, headers=admin, json=body)).status_code == 201
    body["username"] = "TWICE"
    assert_problem(await client.post(USERS, headers=admin, json=body), 409, "conflict")


async def test_unknown_role_and_unknown_fields_are_422(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, admin = await accounts.signed_in("admin")
    bad_role = await client.post(
        USERS, headers=admin, json={"username": "abc", "password": PASSWORD, "role": "root"}
    )
    assert assert_problem(bad_role, 422, "validation")["errors"][0]["field"] == "role"  # type: ignore[index]
    extra = await client.post(
        USERS,
        headers=admin,
        json={"username": "abc", "password": PASSWORD, "role": "admin", "is_superuser": True},
    )
    assert_problem(extra, 422, "validation")


async def test_coordinators_see_only_accounts_they_can_add(
    client: AsyncClient, accounts: Accounts
) -> None:
    await accounts.create("caseworker")
    await accounts.create("investigator")
    await accounts.create("admin")
    _, coord = await accounts.signed_in("coordinator")
    everyone = (await client.get(USERS, headers=coord)).json()
    assert {u["role"] for u in everyone} == {"caseworker", "coordinator"}
    asked_for_investigators = (
        await client.get(USERS, headers=coord, params={"role": "investigator"})
    ).json()
    assert asked_for_investigators == []
    _, admin = await accounts.signed_in("admin")
    all_roles = {u["role"] for u in (await client.get(USERS, headers=admin)).json()}
    assert all_roles == {"caseworker", "coordinator", "investigator", "admin"}


async def test_coordinator_lists_caseworkers(client: AsyncClient, accounts: Accounts) -> None:
    await accounts.create("caseworker")
    await accounts.create("investigator")
    _, coord = await accounts.signed_in("coordinator")
    listed = await client.get(USERS, headers=coord, params={"role": "caseworker"})
    assert listed.status_code == 200
    assert {u["role"] for u in listed.json()} == {"caseworker"}


def test_cli_creates_a_user_from_stdin(settings_env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main,
        ["users", "create", "--username", "cli.admin", "--role", "admin"],
        input=PASSWORD + "\n",
        env=settings_env,
    )
    assert result.exit_code == 0, result.output
    assert "created admin cli.admin" in result.output


def test_cli_refuses_a_weak_password(settings_env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main,
        ["users", "create", "--username", "cli.weak", "--role", "admin"],
        input="tooshort\n",
        env=settings_env,
    )
    assert result.exit_code != 0
    assert "at least 15" in result.output


def test_cli_refuses_to_start_without_keys(tmp_path: Path, settings_env: dict[str, str]) -> None:
    env = {**settings_env, "LANTERN_KEY_FILE": str(tmp_path / "absent.key")}
    result = CliRunner().invoke(
        main, ["users", "create", "--username", "x.y.z", "--role", "admin"], input=PASSWORD, env=env
    )
    assert result.exit_code != 0
    assert "lantern keys init" in result.output
