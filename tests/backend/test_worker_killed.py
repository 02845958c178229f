"""A worker killed during pushes, on PostgreSQL with two workers: nothing acknowledged is lost.

A real ``lantern serve --workers 2`` on the test's PostgreSQL database; eight
phones push batches in a loop (a batch whose answer is lost is pushed again,
as a phone does); one worker is killed with SIGKILL mid-load. Afterwards every
mutation the server acknowledged is stored exactly once, every batch was
finally acknowledged, and the audit chain verifies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from backend.db.models import Record
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import case_data, field_operation, mutation
from tests.conftest import Accounts, is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="several workers need PostgreSQL")
PHONES, ROUNDS, BATCH = 8, 25, 4
TOTAL = PHONES * ROUNDS * BATCH


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int, env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    lantern = str(Path(sys.executable).parent / "lantern")
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [lantern, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


async def test_a_killed_worker_loses_no_acknowledged_mutation(
    client: httpx.AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    settings_env: dict[str, str],
    tmp_path: Path,
) -> None:
    field = await field_operation(client, accounts)
    _, admin = await accounts.signed_in("admin")
    port = _port()
    env = {**os.environ, **settings_env, "LANTERN_RATE_LIMIT_PER_MINUTE": "0"}
    log = (tmp_path / "server.log").open("wb")
    server = _serve(port, env, log)
    base = f"http://127.0.0.1:{port}"
    acknowledged: set[str] = set()
    at_kill: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health/ready")).status_code == 200:
                        break
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-2000:]
                await asyncio.sleep(0.3)
            for _ in range(150):  # uvicorn starts its workers after answering is possible
                if len(_children(server.pid)) >= 2:
                    break
                await asyncio.sleep(0.2)

            async def phone(n: int) -> None:
                for round_ in range(ROUNDS):
                    batch: list[dict[str, Any]] = [
                        mutation(
                            "case",
                            uuid.uuid4(),
                            case_data(field.operation_id, code=f"K{n}{round_:02d}-{k}AAA"),
                        )
                        for k in range(BATCH)
                    ]
                    body = {"device_id": str(field.caseworker.id), "mutations": batch}
                    for _ in range(60):  # a lost answer: the phone pushes the batch again
                        try:
                            answer = await http.post(
                                "/api/v1/sync/push", headers=field.caseworker.headers, json=body
                            )
                        except httpx.TransportError:
                            await asyncio.sleep(0.3)
                            continue
                        if answer.status_code == 200:
                            statuses = {r["status"] for r in answer.json()["results"]}
                            assert statuses <= {"applied", "duplicate"}, answer.text
                            acknowledged.update(m["id"] for m in batch)
                            break
                        assert answer.status_code in {502, 503}, answer.text
                        await asyncio.sleep(0.3)
                    else:
                        pytest.fail("a batch was never acknowledged")

            async def killer() -> None:
                for _ in range(600):  # kill once a fifth of the load is acknowledged
                    if len(acknowledged) >= TOTAL // 5:
                        break
                    await asyncio.sleep(0.05)
                victim = _children(server.pid)[0]
                at_kill.append(len(acknowledged))
                os.kill(victim, signal.SIGKILL)

            await asyncio.gather(*(phone(n) for n in range(PHONES)), killer())
            verified = await http.get("/api/v1/audit/verify", headers=admin)
            assert verified.status_code == 200 and verified.json()["ok"], verified.text
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    assert len(acknowledged) == TOTAL
    assert 0 < at_kill[0] < len(acknowledged), at_kill  # the worker died mid-load
    ids = [uuid.UUID(i) for i in acknowledged]
    async with read_transaction(runtime.db) as session:
        stored = await session.scalar(
            select(func.count()).select_from(Record).where(Record.id.in_(ids))
        )
    assert stored == len(ids)  # each exactly once (the id is the key), none lost
