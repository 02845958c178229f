"""Seeding many encrypted cases quickly, and reading every one of them back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import msgspec
from sqlalchemy import func, select

from backend.crypto.keys import load_key_file
from backend.crypto.vault import Vault, WrappedKey
from backend.db.models import DataKey, Operation, Quarantined, Record
from backend.runtime import Runtime

RECORDS = "sync_records"


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` wrote: case ids and quarantined ids, with their plaintext."""

    cases: dict[uuid.UUID, dict[str, str]]
    quarantined: dict[uuid.UUID, dict[str, str]]


async def seed(runtime: Runtime, creator: uuid.UUID, *, cases: int, quarantined: int) -> Seeded:
    """Write ``cases`` case records and ``quarantined`` payloads, each under its own data key.

    The rows are what sync writes (a sealed body under a data key wrapped by
    the active master key), made directly so that thousands take a second.
    """
    vault = Vault(runtime.keyring)
    written = Seeded(cases={}, quarantined={})
    async with runtime.db.session() as session, session.begin():
        operation = Operation(
            name="Operation Rekey", country="KH", site="Fake Site", created_by=creator
        )
        session.add(operation)
        await session.flush()
        for n in range(cases):
            case_id = uuid.uuid4()
            plain, wrapped = vault.new_data_key(case_id)
            values = {"code": f"RK{n:05d}", "given_name": f"Fakename {n}"}
            session.add(
                DataKey(
                    owner_id=case_id, wrapped=wrapped.wrapped, master_key_id=wrapped.master_key_id
                )
            )
            session.add(
                Record(
                    id=case_id,
                    entity="case",
                    case_id=case_id,
                    operation_id=operation.id,
                    created_by=creator,
                    created_by_mutation=uuid.uuid4(),
                    body=plain.seal(
                        msgspec.json.encode(values),
                        table=RECORDS,
                        column="body",
                        row_id=str(case_id),
                    ),
                )
            )
            written.cases[case_id] = values
        for n in range(quarantined):
            item_id = uuid.uuid4()
            plain, wrapped = vault.new_data_key(item_id)
            values = {"note": f"held back {n}"}
            session.add(
                Quarantined(
                    id=item_id,
                    mutation_id=uuid.uuid4(),
                    device_id=uuid.uuid4(),
                    user_id=creator,
                    entity="case",
                    record_id=uuid.uuid4(),
                    reason="{}",
                    payload=plain.seal(
                        msgspec.json.encode(values),
                        table="sync_quarantine",
                        column="payload",
                        row_id=str(item_id),
                    ),
                    wrapped_key=wrapped.wrapped,
                    master_key_id=wrapped.master_key_id,
                    status="open",
                )
            )
            written.quarantined[item_id] = values
    return written


async def read_back(runtime: Runtime, key_file: Path, seeded: Seeded) -> None:
    """Open every seeded value with a key ring freshly read from ``key_file``."""
    vault = Vault(load_key_file(key_file))
    async with runtime.db.session() as session:
        keys = {k.owner_id: k for k in (await session.execute(select(DataKey))).scalars()}
        records = {r.id: r for r in (await session.execute(select(Record))).scalars()}
        held = {q.id: q for q in (await session.execute(select(Quarantined))).scalars()}
    for case_id, values in seeded.cases.items():
        stored = keys[case_id]
        key = vault.unwrap(
            WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id), case_id
        )
        body = key.open(records[case_id].body, table=RECORDS, column="body", row_id=str(case_id))
        assert msgspec.json.decode(body) == values
    for item_id, values in seeded.quarantined.items():
        item = held[item_id]
        key = vault.unwrap(
            WrappedKey(wrapped=item.wrapped_key, master_key_id=item.master_key_id), item_id
        )
        payload = key.open(
            item.payload, table="sync_quarantine", column="payload", row_id=str(item_id)
        )
        assert msgspec.json.decode(payload) == values


async def under(runtime: Runtime) -> dict[str, int]:
    """Wrapped keys per master key id, over both tables."""
    counts: dict[str, int] = {}
    async with runtime.db.session() as session:
        for column in (DataKey.master_key_id, Quarantined.master_key_id):
            for key_id, n in await session.execute(select(column, func.count()).group_by(column)):
                counts[key_id] = counts.get(key_id, 0) + n
    return counts


def lantern() -> list[str]:
    script = Path(sys.executable).parent / "lantern"
    return [str(script)] if script.exists() else [sys.executable, "-m", "backend.cli"]


def run(env: dict[str, str], *args: str) -> str:
    """Run ``lantern ARGS`` to completion; its output."""
    done = subprocess.run(  # noqa: S603 - our own CLI
        [*lantern(), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"lantern {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start ``lantern ARGS`` in a process group of its own, its output on a pipe."""
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [*lantern(), *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def kill_after_batches(proc: subprocess.Popen[str], batches: int) -> list[str]:
    """Read ``batches`` progress lines, then SIGKILL the process: no clean-up at all."""
    assert proc.stdout is not None
    seen: list[str] = []
    while len(seen) < batches:
        line = proc.stdout.readline()
        assert line, f"ended before {batches} batches: {seen}"
        if line.startswith("batch "):
            seen.append(line)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return seen
