"""SQLite's disk fills up during a push: the push is a problem, nothing is half-written.

The test mounts a small tmpfs (it needs root; skipped otherwise, and on
PostgreSQL), puts the migrated database on it, seeds an operation, then fills
every remaining byte with a file. A push of many cases must then answer with
a problem (never a 500), the database must pass ``PRAGMA integrity_check`` and
hold exactly the records it held before, and once space is freed the phone's
same push is applied.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.app import build_runtime, create_app
from tests.backend.sync.support import case_data, field_operation, mutation
from tests.conftest import Accounts, assert_problem, client_for, is_postgres, make_settings

pytestmark = pytest.mark.skipif(
    is_postgres() or os.geteuid() != 0, reason="SQLite on a tmpfs this test mounts (root)"
)


@pytest.fixture
def small_disk(tmp_path: Path, migrated_template: str) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    size = Path(migrated_template).stat().st_size + 6 * 1024 * 1024
    done = subprocess.run(  # noqa: S603
        ["/bin/mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        shutil.copyfile(migrated_template, mount / "lantern.db")
        yield mount
    finally:
        subprocess.run(["/bin/umount", "-l", str(mount)], check=False)  # noqa: S603


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with filler.open("wb") as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
            out.flush()
    return filler


def _records(database: Path) -> tuple[str, int]:
    with sqlite3.connect(database) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        count = conn.execute("SELECT count(*) FROM sync_records").fetchone()[0]
    return str(check), int(count)


async def test_a_full_disk_is_a_problem_and_nothing_is_half_written(
    tmp_path: Path, small_disk: Path
) -> None:
    database = small_disk / "lantern.db"
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{database}")
    app = create_app(runtime=build_runtime(settings))
    async with client_for(app) as client:
        accounts = Accounts(app.state.runtime, client)
        field = await field_operation(client, accounts)
        _, admin = await accounts.signed_in("admin")
        first = [mutation("case", uuid.uuid4(), case_data(field.operation_id, code="DISK-0000"))]
        assert (await field.caseworker.push(first))[0]["status"] == "applied"
        await app.state.runtime.db.dispose()
        _, before = _records(database)
        filler = _fill(small_disk)
        batch = [
            mutation(
                "case",
                uuid.uuid4(),
                case_data(field.operation_id, code=f"DISK-{n:04d}", notes="x" * 15000),
            )
            for n in range(1, 41)
        ]
        body = {"device_id": str(field.caseworker.id), "mutations": batch}
        answer = await client.post("/api/v1/sync/push", headers=field.caseworker.headers, json=body)
        assert_problem(answer, 503, "not-ready")  # was a 500 before the storage-full mapping
        await app.state.runtime.db.dispose()
        filler.unlink()
        check, after = _records(database)
        assert check == "ok"
        assert after == before  # nothing half-written
        again = await client.post("/api/v1/sync/push", headers=field.caseworker.headers, json=body)
        assert again.status_code == 200, again.text
        assert {r["status"] for r in again.json()["results"]} == {"applied"}
        verified = await client.get("/api/v1/audit/verify", headers=admin)
        assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
