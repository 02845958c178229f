"""Master-key rotation: every data key re-wrapped while readers go on, resumable, then retired."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend.app import build_runtime
from backend.audit.services import AuditLog
from backend.crypto.keys import activate_master_key, add_master_key, load_key_file
from backend.db.models import AuditEntry
from backend.db.session import read_transaction
from backend.errors import Conflict, NotFound
from backend.rotation.services import destroy, retire, rewrap, usage
from backend.runtime import Runtime
from backend.settings import Settings
from tests.backend.rotation.support import (
    Seeded,
    kill_after_batches,
    read_back,
    run,
    seed,
    start,
    under,
)
from tests.backend.sync.support import field_operation, full_case
from tests.conftest import Accounts, is_postgres


async def _creator(accounts: Accounts) -> uuid.UUID:
    return (await accounts.create("coordinator")).id


def _new_active_key(settings: Settings) -> str:
    path = settings.effective_key_file
    key_id = add_master_key(path)
    activate_master_key(path, key_id)
    return key_id


async def test_rewrap_moves_every_key_then_the_old_key_is_retired_and_destroyed(
    runtime: Runtime, settings: Settings, accounts: Accounts
) -> None:
    seeded = await seed(runtime, await _creator(accounts), cases=120, quarantined=15)
    old = runtime.keyring.active_id
    new = _new_active_key(settings)
    assert await under(runtime) == {old: 135}

    report = await rewrap(build_runtime(settings), batch_size=17)

    assert report.total == 135 and report.target == new
    assert report.rewrapped == {"data_keys": 120, "sync_quarantine": 15}
    assert await under(runtime) == {new: 135}
    await read_back(runtime, settings.effective_key_file, seeded)
    # Nothing is left to do: a second run re-wraps nothing.
    assert (await rewrap(runtime)).total == 0

    await retire(runtime, old)
    assert load_key_file(settings.effective_key_file).state(old) == "retired"
    await destroy(runtime, old)
    ring = load_key_file(settings.effective_key_file)
    assert old not in ring.key_ids and ring.state(old) == "destroyed"
    await read_back(runtime, settings.effective_key_file, seeded)
    # The audit entries sealed under the destroyed key still verify.
    async with read_transaction(runtime.db) as session:
        verified = await AuditLog(session, load_key_file(settings.effective_key_file)).verify()
        entries = list((await session.execute(select(AuditEntry))).scalars())
    assert verified.ok, verified
    assert any(e.key_id == old for e in entries)
    actions = [e.action for e in entries]
    assert actions.count("keys.rewrap") == 8 + 1  # ceil(120/17) + one quarantine batch
    assert actions.count("keys.rewrap.run") == 2
    assert {"keys.retire", "keys.destroy"} <= set(actions)
    # Ids and counts only: no key material in any detail.
    for entry in entries:
        if entry.action == "keys.rewrap":
            assert set(json.loads(entry.detail)) == {"run", "table", "rewrapped", "failed", "from"}


async def test_retiring_is_refused_while_any_row_uses_the_key(
    runtime: Runtime, settings: Settings, accounts: Accounts
) -> None:
    await seed(runtime, await _creator(accounts), cases=3, quarantined=1)
    old = runtime.keyring.active_id
    with pytest.raises(Conflict, match="is the active key"):
        await retire(runtime, old)
    new = _new_active_key(settings)
    with pytest.raises(
        Conflict,
        match=r"still in use: 3 in data_keys, 1 in sync_quarantine: run `lantern keys rewrap`$",
    ):
        await retire(runtime, old)
    with pytest.raises(Conflict, match="still in use"):
        await destroy(runtime, old)
    assert load_key_file(settings.effective_key_file).state(old) == "superseded"
    await rewrap(runtime)
    with pytest.raises(NotFound, match="not retired"):
        await destroy(runtime, old)
    await retire(runtime, old)
    found = await _usage(runtime)
    assert found[new] == {
        "data_keys": 3,
        "sync_quarantine": 1,
        "audit_log": found[new]["audit_log"],
    }
    assert set(found[old]) == {"audit_log"}  # audit entries never hold a key back


async def _usage(runtime: Runtime) -> dict[str, dict[str, int]]:
    async with read_transaction(runtime.db) as session:
        return await usage(session)


async def test_a_running_server_reads_cases_rewrapped_under_a_key_it_never_loaded(
    runtime: Runtime, settings: Settings, client: httpx.AsyncClient, accounts: Accounts
) -> None:
    """The server was started before the key existed; the rotation runs in another process."""
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    results = await field.caseworker.push(full_case(field.operation_id, case_id))
    assert {r["status"] for r in results} == {"applied"}
    before = await client.get(f"/api/v1/cases/{case_id}", headers=field.coordinator_headers)
    assert before.status_code == 200, before.text

    new = _new_active_key(settings)
    assert new not in runtime.keyring._master  # the server has not read the file since
    assert (await rewrap(build_runtime(settings))).total >= 1

    after = await client.get(f"/api/v1/cases/{case_id}", headers=field.coordinator_headers)
    assert after.status_code == 200, after.text
    assert after.json() == before.json()
    assert runtime.keyring.active_id == new  # and it writes new keys under the new key


def test_rotating_twice_with_sigkill_mid_run_then_resuming_reads_everything_back(
    runtime: Runtime, settings: Settings, settings_env: dict[str, str], accounts: Accounts
) -> None:
    seeded = _seed_outside_a_loop(runtime, accounts, cases=1500, quarantined=50)
    first = runtime.keyring.active_id
    path = settings.effective_key_file
    for round_ in (1, 2):
        old = load_key_file(path).active_id
        if round_ == 1:  # staged and activated, then re-wrapped
            new = _new_active_key(settings)
            killed = start(settings_env, "keys", "rewrap", "--batch-size", "5")
        else:  # all in one command
            killed = start(settings_env, "keys", "rotate", "--now", "--batch-size", "5")
        kill_after_batches(killed, 3)
        new = load_key_file(path).active_id
        assert new != old
        counts = asyncio.run(_counts_and_dispose(runtime))
        # Killed mid-run: some keys moved, some not, none lost.
        assert counts.get(new, 0) >= 15 and counts.get(old, 0) > 0, counts
        assert sum(counts.values()) == 1550
        out = run(settings_env, "keys", "rewrap", "--batch-size", "50")
        assert "re-wrapped" in out
        assert asyncio.run(_counts_and_dispose(runtime)) == {new: 1550}, round_
        run(settings_env, "keys", "retire", old)
        run(settings_env, "keys", "destroy", old)
    ring = load_key_file(path)
    assert ring.state(first) == "destroyed" and len(ring.key_ids) == 1
    asyncio.run(_read_back_and_dispose(runtime, path, seeded))
    status = [json.loads(line) for line in run(settings_env, "keys", "status").splitlines()]
    (active,) = [line for line in status if line["state"] == "active"]
    assert active["tables"]["data_keys"] + active["tables"]["sync_quarantine"] == 1550


def _seed_outside_a_loop(
    runtime: Runtime, accounts: Accounts, *, cases: int, quarantined: int
) -> Seeded:
    """Seed from a synchronous test (whose commands run as processes), then let go of the database."""

    async def prepare() -> Seeded:
        try:
            return await seed(
                runtime, await _creator(accounts), cases=cases, quarantined=quarantined
            )
        finally:
            await runtime.db.dispose()

    return asyncio.run(prepare())


async def _counts_and_dispose(runtime: Runtime) -> dict[str, int]:
    try:
        return await under(runtime)
    finally:
        await runtime.db.dispose()


async def _read_back_and_dispose(runtime: Runtime, path: Path, seeded: Seeded) -> None:
    try:
        await read_back(runtime, path, seeded)
    finally:
        await runtime.db.dispose()


@pytest.mark.skipif(not is_postgres(), reason="concurrent workers need PostgreSQL")
def test_two_rewrap_workers_at_once_take_disjoint_batches(
    runtime: Runtime, settings: Settings, settings_env: dict[str, str], accounts: Accounts
) -> None:
    seeded = _seed_outside_a_loop(runtime, accounts, cases=4000, quarantined=0)
    new = _new_active_key(settings)
    workers = [start(settings_env, "keys", "rewrap", "--batch-size", "5") for _ in range(2)]
    totals = []
    for proc in workers:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
        totals.append(int(re.search(r": (\d+) re-wrapped in", out).group(1)))  # type: ignore[union-attr]
    # Each key was re-wrapped by exactly one worker, and both did part of the work.
    assert sum(totals) == 4000 and min(totals) > 0, totals
    assert asyncio.run(_counts_and_dispose(runtime)) == {new: 4000}
    asyncio.run(_read_back_and_dispose(runtime, settings.effective_key_file, seeded))
