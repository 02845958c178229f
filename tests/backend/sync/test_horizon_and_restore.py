"""The change log's horizon, new epochs after a restore, and backups."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import select, update

from backend.cli import main
from backend.db.models import Change
from backend.db.session import read_transaction, write_transaction
from backend.runtime import Runtime
from backend.sync.pull import PullService
from tests.backend.sync.support import PULL, case_data, field_operation, mutation
from tests.conftest import Accounts, assert_problem, is_postgres


async def test_compaction_keeps_every_records_latest_change_and_expires_old_cursors(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    worker = field.caseworker
    kept, gone = uuid.uuid4(), uuid.uuid4()
    await worker.push([mutation("case", kept, case_data(field.operation_id))])
    await worker.pull_all()
    old_cursor = worker.cursor
    for n in range(3):
        await worker.push([mutation("case", kept, {"notes": f"visit {n}"}, base_rev=n + 1)])
    await worker.push([mutation("case", gone, case_data(field.operation_id, code="GONE-0001"))])
    await worker.push([mutation("case", gone, {}, op="delete", base_rev=1)])
    async with write_transaction(runtime.db) as session:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        await session.execute(update(Change).values(at=old))
    async with write_transaction(runtime.db) as session:
        removed = await PullService(session, runtime).compact(horizon=dt.timedelta(days=90))
    assert removed == 4  # three superseded updates of one case, the create of the other
    async with read_transaction(runtime.db) as session:
        left = (await session.execute(select(Change.record_id, Change.op))).all()
    assert sorted((str(r), op) for r, op in left) == sorted(
        [(str(kept), "upsert"), (str(gone), "delete")]
    )
    expired = await client.get(PULL, headers=worker.headers, params={"cursor": old_cursor})
    body = assert_problem(expired, 409, "cursor-expired")
    assert body["action"] == "resync-keep-unpushed"
    worker.cursor = None
    fresh = await worker.pull_all()
    assert {(c["id"], c["op"]) for c in fresh} == {(str(kept), "upsert"), (str(gone), "delete")}
    latest = next(c for c in fresh if c["id"] == str(kept))
    assert latest["data"]["notes"] == "visit 2" and latest["rev"] == 4


async def test_a_new_epoch_sends_devices_back_to_re_push(
    client: AsyncClient, accounts: Accounts, settings_env: dict[str, str]
) -> None:
    field = await field_operation(client, accounts)
    batch = [mutation("case", uuid.uuid4(), case_data(field.operation_id))]
    first = await field.caseworker.push(batch)
    await field.caseworker.pull_all()
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["sync", "new-epoch"], env=settings_env
    )
    assert result.exit_code == 0, result.output
    told = await client.get(
        PULL, headers=field.caseworker.headers, params={"cursor": field.caseworker.cursor}
    )
    assert_problem(told, 409, "resync-required")
    again = await field.caseworker.push(batch)  # re-pushing what it holds is safe
    assert again[0]["status"] == "duplicate" and again[0]["rev"] == first[0]["rev"]
    field.caseworker.cursor = None
    assert [c["id"] for c in await field.caseworker.pull_all()] == [batch[0]["id"]]


@pytest.mark.skipif(is_postgres(), reason="SQLite's own backup; PostgreSQL uses pg_dump")
async def test_backup_and_restore_start_a_new_epoch(
    client: AsyncClient,
    accounts: Accounts,
    settings_env: dict[str, str],
    tmp_path: Path,
    runtime: Runtime,
) -> None:
    field = await field_operation(client, accounts)
    before = [mutation("case", uuid.uuid4(), case_data(field.operation_id))]
    await field.caseworker.push(before)
    copy = tmp_path / "backup.db"
    runner = CliRunner()
    made = await asyncio.to_thread(runner.invoke, main, ["backup", str(copy)], env=settings_env)
    assert made.exit_code == 0, made.output
    after = [mutation("case", uuid.uuid4(), case_data(field.operation_id, code="LATE-0001"))]
    await field.caseworker.push(after)
    await field.caseworker.pull_all()
    await runtime.db.dispose()
    restored = await asyncio.to_thread(
        runner.invoke, main, ["restore", str(copy)], env=settings_env
    )
    assert restored.exit_code == 0, restored.output
    told = await client.get(
        PULL, headers=field.caseworker.headers, params={"cursor": field.caseworker.cursor}
    )
    assert_problem(told, 409, "resync-required")
    # The phone re-pushes what it holds: what the backup lacked comes back.
    results = await field.caseworker.push(before + after)
    assert [r["status"] for r in results] == ["duplicate", "applied"]
