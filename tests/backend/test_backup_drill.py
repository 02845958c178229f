"""The restore drill, on SQLite and on PostgreSQL: one command each way, nothing erased comes back.

A phone pushes two cases; the database is backed up (``lantern backup``:
SQLite's online backup, or ``pg_dump``); the phone pushes a third case; a
coordinator erases the first; the older backup is restored (``lantern
restore``: the backup, the erasures replayed, ``ANALYZE``, a new sync epoch).
Then the erased case stays erased (no data key, 404 to its coordinator, a
phone pushing it again is refused), the phone's old cursor is refused with
``resync-required``, and the phone's re-push brings back what the backup
lacked.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import text

from backend.cli import main
from backend.db.models import DataKey
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import PULL, case_data, field_operation, mutation
from tests.conftest import Accounts, assert_problem, is_postgres


async def _cli(args: list[str], env: dict[str, str]) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_restore_drill_keeps_erased_cases_erased_and_phones_re_push(
    client: AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    settings_env: dict[str, str],
    tmp_path: Path,
) -> None:
    field = await field_operation(client, accounts)
    phone = field.caseworker
    erased_id, kept_id, late_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    early = [
        mutation("case", erased_id, case_data(field.operation_id, code="DRIL-0001")),
        mutation("case", kept_id, case_data(field.operation_id, code="DRIL-0002")),
    ]
    assert {r["status"] for r in await phone.push(early)} == {"applied"}

    backup = tmp_path / ("lantern.dump" if is_postgres() else "lantern-backup.db")
    await _cli(["backup", str(backup)], settings_env)
    assert backup.stat().st_mode & 0o077 == 0  # the operator's alone

    late = [mutation("case", late_id, case_data(field.operation_id, code="DRIL-0003"))]
    assert {r["status"] for r in await phone.push(late)} == {"applied"}
    await phone.pull_all()
    erased = await client.delete(
        f"/api/v1/cases/{erased_id}",
        headers=field.coordinator_headers,
        params={"reason": "person_request"},
    )
    assert erased.status_code == 200, erased.text

    await runtime.db.dispose()  # a restore runs with the servers stopped
    output = await _cli(["restore", str(backup)], settings_env)
    assert "erased again 1 of 1" in output
    assert "analysed" in output and "new sync epoch" in output

    # The erased case stays erased: its data key is gone, its coordinator sees nothing.
    async with read_transaction(runtime.db) as session:
        assert await session.get(DataKey, erased_id) is None
        assert await session.get(DataKey, kept_id) is not None
        if is_postgres():  # analysed: the planner knows the tables' sizes
            analysed = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_user_tables "
                    "WHERE relname = 'sync_records' AND last_analyze IS NOT NULL"
                )
            )
            assert analysed == 1
    assert_problem(
        await client.get(f"/api/v1/cases/{erased_id}", headers=field.coordinator_headers),
        404,
        "not-found",
    )
    # The phone is told to re-push, and its re-push brings back what the backup lacked.
    told = await client.get(PULL, headers=phone.headers, params={"cursor": phone.cursor})
    assert_problem(told, 409, "resync-required")
    results = await phone.push(early + late)
    statuses = [r["status"] for r in results]
    assert statuses[1:] == ["duplicate", "applied"], results
    assert statuses[0] != "applied", results  # the erased case is not brought back by a phone
    phone.cursor = None
    changes = [c for c in await phone.pull_all() if c["entity"] == "case"]
    held = {c["id"] for c in changes if c["op"] == "upsert"}
    assert {str(kept_id), str(late_id)} <= held
    # The erased case comes only as the instruction to drop it, never with data.
    assert {c["op"] for c in changes if c["id"] == str(erased_id)} <= {"delete", "purge"}, changes
