"""A real server is killed with SIGKILL while 20 devices push; nothing acknowledged is lost.

``lantern keys init``, ``lantern db upgrade``, ``lantern users create`` and
``lantern serve`` run as processes of their own on SQLite (WAL) in a temporary
directory, or, with ``LANTERN_TEST_DATABASE_URL``, on a throwaway PostgreSQL
database this test creates (marked as the suite's) and drops. Twenty devices
push batches concurrently over loopback HTTP; part-way through, the server
gets SIGKILL: no shutdown, no flush, requests cut mid-flight. It is started
again on the same database. Then:

- every mutation acknowledged before the kill (a 200 carrying its result) is
  there, exactly once, as the coordinator pulls from scratch;
- pushing every batch again (acknowledged or not) answers ``duplicate`` with
  the acknowledged revision for what was acknowledged, completes the rest, and
  never answers 5xx; the final pull holds every record of every batch once.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from tests.backend.sync.support import PULL, PUSH, case_data, mutation
from tests.conftest import (
    PASSWORD,
    SERVER_URL,
    create_owned_database,
    drop_owned_database,
)

DEVICES = 20
BATCHES = 4  # per device
CASES = 3  # per batch: a case and a referral each, and an update of an earlier case
KILL_AFTER = 25  # acknowledged batches before the kill (of 80)


def _lantern() -> list[str]:
    script = Path(sys.executable).parent / "lantern"
    return [str(script)] if script.exists() else [sys.executable, "-m", "backend.cli"]


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [*_lantern(), *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    proc = _cli(env, *args)
    out, _ = proc.communicate(stdin, timeout=60)
    assert proc.returncode == 0, f"lantern {' '.join(args)}: {out}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``lantern serve`` in a process (group) of its own."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
                [*_lantern(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/health/ready", timeout=2).status_code == 200:
                    return
            assert time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, connections cut."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def _database(tmp_path: Path) -> Iterator[str]:
    """SQLite in ``tmp_path``, or a throwaway PostgreSQL database made and dropped here."""
    if not SERVER_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'lantern.db'}"
        return
    name = f"lantern_test_crash_{uuid.uuid4().hex[:8]}"
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(create_owned_database(url))
    try:
        yield url
    finally:
        asyncio.run(drop_owned_database(url))


def _batches(operation_id: str) -> list[list[dict[str, Any]]]:
    """One device's batches: cases with a referral each, and updates of its earlier cases."""
    batches: list[list[dict[str, Any]]] = []
    earlier: list[uuid.UUID] = []
    for b in range(BATCHES):
        batch: list[dict[str, Any]] = []
        for c in range(CASES):
            case_id = uuid.uuid4()
            code = f"K{b}{c}X-{uuid.uuid4().hex[:4].upper()}"
            batch.append(mutation("case", case_id, case_data(operation_id, code=code)))
            batch.append(
                mutation(
                    "referral",
                    uuid.uuid4(),
                    {"case_id": str(case_id), "service": "shelter", "status": "proposed"},
                )
            )
            earlier.append(case_id)
        if b:
            batch.append(mutation("case", earlier[0], {"notes": f"after batch {b}"}, base_rev=b))
        batches.append(batch)
    return batches


async def _token(client: httpx.AsyncClient, username: str, device: uuid.UUID | None) -> str:
    body: dict[str, Any] = {"username": username, "password": PASSWORD}
    if device:
        body["device_id"] = str(device)
    response = await client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _pull_everything(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    changes: list[Any] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(PULL, headers=headers, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes


async def _drive(server: Server, names: dict[str, str]) -> None:
    limits = httpx.Limits(max_connections=DEVICES + 4)
    async with httpx.AsyncClient(base_url=server.base, timeout=60, limits=limits) as client:
        coord = {
            "Authorization": f"Bearer {await _token(client, names['coordinator'], uuid.uuid4())}"
        }
        made = await client.post(
            "/api/v1/operations",
            headers=coord,
            json={"name": "Crash drill", "country": "KH", "site": "Fakeville Tower"},
        )
        assert made.status_code == 201, made.text
        operation_id = made.json()["id"]
        worker = {"Authorization": f"Bearer {await _token(client, names['caseworker'], None)}"}
        me = await client.get("/api/v1/me", headers=worker)
        added = await client.post(
            f"/api/v1/operations/{operation_id}/members",
            headers=coord,
            json={"user_id": me.json()["id"]},
        )
        assert added.status_code == 201, added.text
        # Half the phones are caseworkers', half coordinators' (two accounts keep setup quick).
        workers = [names["caseworker"], names["coordinator"]]
        devices: list[tuple[uuid.UUID, dict[str, str]]] = []
        for n in range(DEVICES):
            device = uuid.uuid4()
            token = await _token(client, workers[n % 2], device)
            devices.append((device, {"Authorization": f"Bearer {token}"}))
        plans = [_batches(operation_id) for _ in range(DEVICES)]

        acked: dict[str, dict[str, Any]] = {}  # mutation id -> the result the device was given
        acked_batches = 0
        killed, enough = asyncio.Event(), asyncio.Event()

        async def device_loop(n: int) -> None:
            nonlocal acked_batches
            device, headers = devices[n]
            for batch in plans[n]:
                if killed.is_set():
                    return
                try:
                    response = await client.post(
                        PUSH, headers=headers, json={"device_id": str(device), "mutations": batch}
                    )
                except httpx.TransportError:
                    return  # the server died under this request: not acknowledged
                assert response.status_code == 200, response.text
                for result in response.json()["results"]:
                    assert result["status"] in ("applied", "duplicate"), result
                    acked[result["mutation_id"]] = result
                acked_batches += 1
                if acked_batches >= KILL_AFTER:
                    enough.set()

        async def killer() -> None:
            await enough.wait()
            killed.set()
            server.kill()

        await asyncio.gather(killer(), *(device_loop(n) for n in range(DEVICES)))
        assert KILL_AFTER <= acked_batches < DEVICES * BATCHES, "killed mid-way"

        server.start()
        # Tokens outlive the restart; the coordinator pulls everything from scratch.
        pulled = await _pull_everything(client, coord)
        ids = [c["id"] for c in pulled]
        assert len(ids) == len(set(ids)), "a record delivered twice"
        acked_records = {
            m["id"]
            for plan in plans
            for batch in plan
            for m in batch
            if m["mutation_id"] in acked and m["base_rev"] is None
        }
        assert acked_records <= set(ids), "an acknowledged record was lost"

        # Every device pushes every batch again; the durable outcomes make that safe.
        async def re_push(n: int) -> None:
            device, headers = devices[n]
            for batch in plans[n]:
                response = await client.post(
                    PUSH, headers=headers, json={"device_id": str(device), "mutations": batch}
                )
                assert response.status_code == 200, response.text
                for sent, got in zip(batch, response.json()["results"], strict=True):
                    if sent["mutation_id"] in acked:
                        assert got["status"] == "duplicate", got
                        assert got.get("rev") == acked[sent["mutation_id"]].get("rev"), got
                    else:
                        assert got["status"] in ("applied", "duplicate"), got

        await asyncio.gather(*(re_push(n) for n in range(DEVICES)))
        final = await _pull_everything(client, coord)
        by_id = {c["id"]: c for c in final}
        assert len(by_id) == len(final), "a record delivered twice"
        expected = {
            m["id"] for plan in plans for batch in plan for m in batch if m["base_rev"] is None
        }
        assert set(by_id) == expected
        for plan in plans:  # the last update of each device's first case won
            first_case = plan[0][0]["id"]
            assert by_id[first_case]["data"]["notes"] == f"after batch {BATCHES - 1}"
            assert by_id[first_case]["rev"] == BATCHES


def test_acknowledged_pushes_survive_sigkill_and_re_push_completes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    env.update(
        LANTERN_DATA_DIR=str(tmp_path),
        LANTERN_KEY_FILE=str(tmp_path / "keys" / "lantern.key"),
        LANTERN_RATE_LIMIT_PER_MINUTE="0",
        LANTERN_LOG_LEVEL="WARNING",
        LANTERN_ARGON2_TIME_COST="1",
        LANTERN_ARGON2_MEMORY_COST_KIB="1024",
        LANTERN_ARGON2_PARALLELISM="1",
    )
    with _database(tmp_path) as url:
        env["LANTERN_DATABASE_URL"] = url
        _run(env, "keys", "init")
        _run(env, "db", "upgrade")
        tag = uuid.uuid4().hex[:6]
        names = {"coordinator": f"crash-coord-{tag}", "caseworker": f"crash-cw-{tag}"}
        creating = {
            role: _cli(env, "users", "create", "--username", name, "--role", role)
            for role, name in names.items()
        }
        for key, proc in creating.items():
            out, _ = proc.communicate(PASSWORD + "\n", timeout=60)
            assert proc.returncode == 0, f"users create {key}: {out}"
        server = Server(env, _free_port(), tmp_path / "server.log")
        server.start()
        try:
            asyncio.run(_drive(server, names))
        finally:
            server.stop()
    assert "Traceback" not in (tmp_path / "server.log").read_text()


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
