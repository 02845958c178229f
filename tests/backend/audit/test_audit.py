"""The audit log: chained, append-only, and any edit is found."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import text

from backend.audit.services import AuditEvent, AuditLog
from backend.cli import main
from backend.runtime import Runtime
from tests.conftest import Accounts, is_postgres


async def _append(runtime: Runtime, count: int) -> None:
    async with runtime.db.session() as session, session.begin():
        log = AuditLog(session, runtime.keyring)
        for n in range(count):
            log.record(AuditEvent(action="test.event", object_id=str(n)))


async def _verify(runtime: Runtime) -> object:
    async with runtime.db.session() as session, session.begin():
        return await AuditLog(session, runtime.keyring).verify()


async def _bypass_append_only(runtime: Runtime, sql: str, params: dict[str, object]) -> None:
    """Tamper as someone with the database owner's rights would: around the trigger."""
    async with runtime.db.session() as session, session.begin():
        if is_postgres():
            await session.execute(
                text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            )
            await session.execute(text(sql), params)
            await session.execute(
                text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
            )
        else:
            for verb in ("update", "delete"):
                await session.execute(text(f"DROP TRIGGER audit_log_no_{verb}"))
            await session.execute(text(sql), params)


async def test_an_untouched_chain_verifies(runtime: Runtime) -> None:
    await _append(runtime, 5)
    result = await _verify(runtime)
    assert result.ok and result.entries_checked == 5 and result.head_seq == 5  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sql", "broken"),
    [
        ("UPDATE audit_log SET object_id = 'forged' WHERE seq = :seq", 3),
        ("UPDATE audit_log SET outcome = 'denied' WHERE seq = :seq", 3),
        ("DELETE FROM audit_log WHERE seq = :seq", 3),
    ],
)
async def test_an_edited_or_deleted_row_is_found(runtime: Runtime, sql: str, broken: int) -> None:
    await _append(runtime, 5)
    await _bypass_append_only(runtime, sql, {"seq": 3})
    result = await _verify(runtime)
    assert not result.ok  # type: ignore[attr-defined]
    assert result.first_broken_seq == broken  # type: ignore[attr-defined]


async def test_a_recomputed_mac_without_the_key_is_found(runtime: Runtime) -> None:
    await _append(runtime, 4)
    await _bypass_append_only(
        runtime,
        "UPDATE audit_log SET mac = :mac WHERE seq = 2",
        {"mac": bytes(32)},
    )
    result = await _verify(runtime)
    assert result.first_broken_seq == 2  # type: ignore[attr-defined]


async def test_the_database_refuses_updates_and_deletes(runtime: Runtime) -> None:
    await _append(runtime, 1)
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"):
            async with runtime.db.session() as session, session.begin():
                await session.execute(text(statement))


def test_cli_verify_reports_the_first_broken_link(
    runtime: Runtime, settings_env: dict[str, str]
) -> None:
    import asyncio

    async def prepare() -> None:
        await _append(runtime, 3)
        await _bypass_append_only(
            runtime, "UPDATE audit_log SET detail = :d WHERE seq = :seq", {"d": '{"x":1}', "seq": 2}
        )
        await runtime.db.dispose()

    asyncio.run(prepare())
    result = CliRunner().invoke(main, ["audit", "verify"], env=settings_env)
    assert result.exit_code == 1
    assert "broken at entry 2" in result.output


def test_cli_verify_passes_an_intact_log(runtime: Runtime, settings_env: dict[str, str]) -> None:
    import asyncio

    async def prepare() -> None:
        await _append(runtime, 2)
        await runtime.db.dispose()

    asyncio.run(prepare())
    result = CliRunner().invoke(main, ["audit", "verify"], env=settings_env)
    assert result.exit_code == 0, result.output
    assert '"ok":true' in result.output


async def test_denials_are_audited_with_their_actor(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    caseworker, cw = await accounts.signed_in("caseworker")
    assert (await client.post("/api/v1/users", headers=cw, json={})).status_code == 403
    _, admin = await accounts.signed_in("admin")
    entries = (await client.get("/api/v1/audit/entries", headers=admin)).json()
    denied = [e for e in entries if e["action"] == "authz.denied"]
    assert denied and denied[0]["actor_id"] == str(caseworker.id)
    assert (await client.get("/api/v1/audit/verify", headers=admin)).json()["ok"] is True


async def test_audit_entries_carry_the_request_id(client: AsyncClient, accounts: Accounts) -> None:
    _, admin = await accounts.signed_in("admin")
    request_id = "req-" + uuid.uuid4().hex[:12]
    await client.post(
        f"/api/v1/devices/{uuid.uuid4()}/revoke", headers={**admin, "X-Request-ID": request_id}
    )
    entries = (
        await client.get("/api/v1/audit/entries", headers=admin, params={"limit": 1000})
    ).json()
    assert request_id in {e["request_id"] for e in entries}


async def test_concurrent_appends_keep_one_gap_free_chain(runtime: Runtime) -> None:
    """Appends from many transactions at once are serialised: no fork, no gap, no duplicate."""
    import asyncio

    async def one(n: int) -> None:
        async with runtime.db.session() as session, session.begin():
            AuditLog(session, runtime.keyring).record(
                AuditEvent(action="test.concurrent", object_id=str(n))
            )

    await asyncio.gather(*(one(n) for n in range(25)))
    result = await _verify(runtime)
    assert result.ok, result  # type: ignore[attr-defined]
    assert result.entries_checked == 25  # type: ignore[attr-defined]
