"""Sync benchmark (issue 8, "Speed"): a real ``lantern serve`` process, 20 devices pushing and pulling.

One operation, ``--devices`` caseworkers (20), each signed in on a phone of its
own. Each device pushes ``--cases`` cases (500); a case is five records: the
case, a consent, a completed ``scam_compound`` v2 screening of about 40 answers
(valid under the skip logic, assessed on arrival) and two disclosures. Pushes
carry ``--batch`` mutations (100), and all devices push at once over keep-alive
HTTP/1.1. Then all devices pull to the end at once (pages of ``--page``, 500).

A caseworker's scope is its own records in full, plus every other case of the
operation as facets only (other caseworkers' consents, screenings and
disclosures are not theirs to hold): ``cases x devices + cases x 4`` records
per device. Records/s counts records delivered.

The floor: in the same run, the same number of rows, of the same sizes, are
written to a fresh SQLite file (WAL, synchronous=NORMAL like the server) with
``sqlite3`` ``executemany`` in transactions of 100, and read back in pages of
100, as many rows as the devices pulled.

Checks: every pushed mutation's result is ``applied``; every device's pull
returned every record of its scope exactly once. Reported beside the rates:
the server's peak RSS (VmHWM), server and client CPU (a client near 100 % of a
core would be the limit, not the server).

Usage:
    python -m bench.sync_bench [--cases 500] [--devices 20] [--batch 100] [--page 500]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from backend.demo import screening_answers, synthetic_case
from bench.server_bench import (
    PASSWORD,
    Connection,
    Server,
    _cli,
    _free_port,
    _proc_cpu,
    bench_environment,
    build_request,
    postgres_database,
    profiled,
    running_server,
)
from screening import load_registry

TARGET_PUSH = 6_000
TARGET_PULL = 25_000
TARGET_RSS_MB = 250


@dataclass
class Phone:
    """One device: its user's token, the mutations it pushes, and what it pulled."""

    username: str
    user_id: str
    device_id: str
    token: str
    batches: list[bytes] = field(default_factory=list)
    sent: list[list[str]] = field(default_factory=list)  # mutation ids per batch
    own: set[str] = field(default_factory=set)  # record ids it created
    cases: set[str] = field(default_factory=set)
    results: Counter[str] = field(default_factory=Counter)
    retries: int = 0  # pushes answered 503 (write lock busy) and sent again, as a phone would
    pulled: Counter[str] = field(default_factory=Counter)  # record id -> times seen
    pulled_full: int = 0
    pull_requests: int = 0


def _sign_in(base: str, username: str, device_id: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": PASSWORD, "device_id": device_id},
        timeout=60,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def prepare(env: dict[str, str], base: str, devices: int) -> tuple[str, list[Phone]]:
    """A coordinator and the caseworkers (CLI), their devices and the operation (HTTP)."""
    tag = secrets.token_hex(3)
    coordinator = f"bench_coord_{tag}"
    _cli(
        env,
        "users",
        "create",
        "--username",
        coordinator,
        "--role",
        "coordinator",
        stdin=PASSWORD + "\n",
    )
    token = _sign_in(base, coordinator, str(uuid.uuid4()))
    headers = {"Authorization": f"Bearer {token}"}
    made = httpx.post(
        f"{base}/api/v1/operations",
        json={"name": f"sync bench {tag}", "country": "KH", "site": "bench site"},
        headers=headers,
    )
    made.raise_for_status()
    operation = str(made.json()["id"])
    phones = []
    for n in range(devices):
        name = f"bench_cw{n:02d}_{tag}"
        out = _cli(
            env,
            "users",
            "create",
            "--username",
            name,
            "--role",
            "caseworker",
            stdin=PASSWORD + "\n",
        )
        user_id = out.strip().rsplit("(", 1)[1].rstrip(")")
        httpx.post(
            f"{base}/api/v1/operations/{operation}/members",
            json={"user_id": user_id},
            headers=headers,
        ).raise_for_status()
        device = str(uuid.uuid4())
        phones.append(Phone(name, user_id, device, _sign_in(base, name, device)))
    return operation, phones


def build_batches(
    phones: Sequence[Phone], operation: str, host: str, cases: int, batch: int, seed: int
) -> list[int]:
    """Every device's push requests, made before the clock starts; the sizes of the data."""
    rng = random.Random(seed)
    instrument = load_registry().get("scam_compound", 2)
    # 50 distinct answer sets, reused: generating 10,000 costs client time, not server time.
    answer_sets = [screening_answers(instrument, rng, limit=40) for _ in range(50)]
    sizes: list[int] = []
    now = dt.datetime.now(dt.UTC)
    for phone in phones:
        mutations: list[dict[str, Any]] = []
        for _ in range(cases):
            records = synthetic_case(
                rng,
                operation,
                instrument,
                consents=("services",),
                disclosures=2,
                referrals=0,
                answers=rng.choice(answer_sets),
                now=now,
            )
            phone.cases.add(records[0]["id"])
            phone.own.update(r["id"] for r in records)
            mutations += records
        for start in range(0, len(mutations), batch):
            chunk = mutations[start : start + batch]
            body = msgspec.json.encode({"device_id": phone.device_id, "mutations": chunk})
            phone.batches.append(
                build_request("POST", "/api/v1/sync/push", host=host, token=phone.token, body=body)
            )
            phone.sent.append([m["mutation_id"] for m in chunk])
            sizes += [len(msgspec.json.encode(m["data"])) for m in chunk]
    return sizes


async def _analyse(url: str) -> None:
    """``ANALYZE`` the benchmark's PostgreSQL database, as autovacuum would."""
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@dataclass
class Phase:
    records: int
    seconds: float
    server_cpu: float
    client_cpu: float
    requests: int

    @property
    def rate(self) -> float:
        return self.records / self.seconds


async def _push_device(server: Server, phone: Phone, failures: list[str]) -> None:
    conn = await Connection.open(server.host, server.port)
    try:
        for raw, ids in zip(phone.batches, phone.sent, strict=True):
            status, body = await conn.request(raw)
            for attempt in range(10):
                if status != 503:
                    break
                # Busy (the write lock was not free in time): the same batch again, as a
                # phone does; the durable outcomes make that safe.
                phone.retries += 1
                await asyncio.sleep(0.2 * (attempt + 1))
                status, body = await conn.request(raw)
            if status != 200:
                failures.append(f"{phone.username}: push {status} {body[:300]!r}")
                continue
            results = msgspec.json.decode(body)["results"]
            if [r["mutation_id"] for r in results] != ids:
                failures.append(f"{phone.username}: results out of order")
            for r in results:
                phone.results[r["status"]] += 1
    finally:
        conn.close()


async def _pull_device(server: Server, phone: Phone, page: int, failures: list[str]) -> None:
    conn = await Connection.open(server.host, server.port)
    host = f"{server.host}:{server.port}"
    cursor: str | None = None
    try:
        while True:
            path = f"/api/v1/sync/pull?limit={page}"
            if cursor:
                path += f"&cursor={quote(cursor)}"
            status, body = await conn.request(
                build_request("GET", path, host=host, token=phone.token)
            )
            phone.pull_requests += 1
            if status != 200:
                failures.append(f"{phone.username}: pull {status} {body[:300]!r}")
                return
            answer = msgspec.json.decode(body)
            for change in answer["changes"]:
                phone.pulled[change["id"]] += 1
                if change.get("data") is not None:
                    phone.pulled_full += 1
            cursor = answer["cursor"]
            if not answer["has_more"]:
                return
    finally:
        conn.close()


async def timed(server: Server, work: Any) -> tuple[float, float, float]:
    server_before = _proc_cpu(server.pid)
    client_before = time.process_time()
    wall = time.perf_counter()
    await work
    wall = time.perf_counter() - wall
    return (
        wall,
        (_proc_cpu(server.pid) - server_before) / wall,
        (time.process_time() - client_before) / wall,
    )


async def run_push(server: Server, phones: Sequence[Phone]) -> tuple[Phase, list[str]]:
    failures: list[str] = []
    wall, s_cpu, c_cpu = await timed(
        server, asyncio.gather(*(_push_device(server, p, failures) for p in phones))
    )
    records = sum(p.results["applied"] for p in phones)
    requests = sum(len(p.batches) + p.retries for p in phones)
    return Phase(records, wall, s_cpu, c_cpu, requests), failures


async def run_pull(server: Server, phones: Sequence[Phone], page: int) -> tuple[Phase, list[str]]:
    failures: list[str] = []
    wall, s_cpu, c_cpu = await timed(
        server, asyncio.gather(*(_pull_device(server, p, page, failures) for p in phones))
    )
    records = sum(sum(p.pulled.values()) for p in phones)
    requests = sum(p.pull_requests for p in phones)
    return Phase(records, wall, s_cpu, c_cpu, requests), failures


def verify(phones: Sequence[Phone]) -> list[str]:
    """Every mutation applied; every device got its scope, each record exactly once."""
    problems = []
    all_cases = set().union(*(p.cases for p in phones))
    for phone in phones:
        sent = sum(len(ids) for ids in phone.sent)
        if phone.results["applied"] != sent:
            problems.append(f"{phone.username}: {dict(phone.results)} of {sent} mutations")
        scope = phone.own | all_cases
        got = set(phone.pulled)
        twice = [k for k, v in phone.pulled.items() if v != 1]
        if got != scope or twice:
            problems.append(
                f"{phone.username}: pulled {len(got)} of {len(scope)} in scope, "
                f"{len(got - scope)} outside it, {len(twice)} more than once"
            )
        if phone.pulled_full != len(phone.own):
            problems.append(
                f"{phone.username}: {phone.pulled_full} full records, not {len(phone.own)}"
            )
    return problems


def floor(
    sizes: Sequence[int], reads: int, directory: Path, batch: int = 100
) -> tuple[float, float]:
    """Rows/s written and read by raw sqlite3: the same row count and sizes, batches of 100."""
    path = directory / "floor.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE records (id BLOB PRIMARY KEY, entity TEXT, case_id BLOB, operation_id BLOB,"
        " created_by BLOB, created_by_mutation BLOB, rev INTEGER, schema_version INTEGER,"
        " body BLOB, field_revs TEXT, facets TEXT, deleted INTEGER, created_at TEXT,"
        " updated_at TEXT)"
    )
    db.execute("CREATE INDEX ix_case ON records (case_id)")
    db.execute("CREATE INDEX ix_operation ON records (operation_id)")
    operation = uuid.uuid4().bytes
    now = dt.datetime.now(dt.UTC).isoformat()
    rows = [
        (
            uuid.uuid4().bytes,
            "case",
            uuid.uuid4().bytes,
            operation,
            uuid.uuid4().bytes,
            uuid.uuid4().bytes,
            1,
            1,
            os.urandom(size + 28),
            '{"a":1}',
            '{"k":"v"}',
            0,
            now,
            now,
        )
        for size in sizes
    ]
    start = time.perf_counter()
    for n in range(0, len(rows), batch):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows[n : n + batch]
        )
        db.execute("COMMIT")
    write = len(rows) / (time.perf_counter() - start)
    start = time.perf_counter()
    got = 0
    while got < reads:
        last = 0
        while got < reads:
            page = db.execute(
                "SELECT rowid, * FROM records WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch)
            ).fetchall()
            if not page:
                break
            got += len(page)
            last = page[-1][0]
    read = got / (time.perf_counter() - start)
    db.close()
    return write, read


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(
    push: Phase,
    pull: Phase,
    floors: tuple[float, float],
    rss: float,
    args: argparse.Namespace,
    database: str,
    problems: Sequence[str],
) -> bool:
    write_floor, read_floor = floors
    print()
    print(
        f"database: {database}; {args.devices} devices × {args.cases} cases × 5 records; "
        f"push batches of {args.batch}, pull pages of {args.page}; {os.cpu_count()} CPUs; "
        f"duplicate matching every {args.matching_seconds or 'never'} s"
    )
    print(
        "| phase | records | seconds | records/s | floor rows/s | ÷ floor | target | requests | server CPU | client CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, phase, fl, target in (
        ("push", push, write_floor, TARGET_PUSH),
        ("pull", pull, read_floor, TARGET_PULL),
    ):
        print(
            f"| {name} | {phase.records} | {phase.seconds:.1f} | {phase.rate:,.0f} | {fl:,.0f} | "
            f"{phase.rate / fl:.3f} | {target:,} | {phase.requests} | {phase.server_cpu:.0%} | "
            f"{phase.client_cpu:.0%} |"
        )
    print(f"pushes answered 503 busy and sent again: {args.retries}")
    print(f"server peak RSS (VmHWM): {rss:.0f} MB (target < {TARGET_RSS_MB} MB)")
    print(
        f"server CPU per record (ms): push {push.server_cpu / push.rate * 1e3:.3f}, "
        f"pull {pull.server_cpu / pull.rate * 1e3:.3f}"
    )
    met = push.rate >= TARGET_PUSH and pull.rate >= TARGET_PULL and rss < TARGET_RSS_MB
    if database.startswith("sqlite"):
        print(f"targets (SQLite): {'met' if met else 'NOT met'}")
    if problems:
        print("VERIFICATION FAILED:")
        for p in problems[:40]:
            print(f"  {p}")
    else:
        print("verified: every mutation applied; every device pulled its whole scope exactly once")
    return not problems


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=500, help="cases per device")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--batch", type=int, default=100, help="mutations per push")
    parser.add_argument("--page", type=int, default=500, help="changes per pull page")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql+asyncpg://…: a throwaway database on that server",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy profiles of push and pull here"
    )
    parser.add_argument(
        "--profile-all-threads",
        dest="profile_gil",
        action="store_false",
        help="sample every thread with native frames, not only the one holding the GIL",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--matching-seconds",
        type=int,
        default=0,
        help="the server's duplicate-matching loop interval (0, the default: off, so that "
        "sync is measured alone; bench.duplicates_bench measures matching)",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lantern-syncbench-")))
        env = bench_environment(tmp)
        env["LANTERN_DUPLICATES_MATCH_SECONDS"] = str(args.matching_seconds)
        if args.database_url:
            if not args.database_url.startswith("postgresql"):
                raise SystemExit("--database-url must be a postgresql+asyncpg:// URL")
            env["LANTERN_DATABASE_URL"] = stack.enter_context(postgres_database(args.database_url))
            database = "postgresql"
        else:
            env["LANTERN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'lantern.db'}"
            database = "sqlite (WAL)"
        _cli(env, "keys", "init")
        _cli(env, "db", "upgrade")
        port = _free_port(args.host)
        server = stack.enter_context(running_server(env, args.host, port, tmp / "server.log"))
        base = f"http://{server.host}:{server.port}"
        print(f"server {server.pid} ready on {base} ({database})", file=sys.stderr)
        operation, phones = prepare(env, base, args.devices)
        sizes = build_batches(
            phones, operation, f"{server.host}:{server.port}", args.cases, args.batch, args.seed
        )
        print(f"built {len(sizes)} mutations; pushing", file=sys.stderr)
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        estimate = 3600.0  # the profiler is stopped when the phase ends
        with profiled(server, args.profile, "push", estimate, args.profile_gil):
            push, failures = asyncio.run(run_push(server, phones))
        print(f"push: {push.rate:,.0f} records/s; pulling", file=sys.stderr)
        if args.database_url:
            # A database made a minute ago has no statistics yet, and PostgreSQL
            # then sorts every change after the cursor for each page (130 ms
            # against 2 ms); autovacuum analyses within a minute in service.
            asyncio.run(_analyse(env["LANTERN_DATABASE_URL"]))
        with profiled(server, args.profile, "pull", estimate, args.profile_gil):
            pull, pull_failures = asyncio.run(run_pull(server, phones, args.page))
        rss = peak_rss_mb(server.pid)
        print("floor (raw sqlite3)", file=sys.stderr)
        floors = floor(sizes, pull.records, tmp)
        problems = failures + pull_failures + verify(phones)
        args.retries = sum(p.retries for p in phones)
        ok = report(push, pull, floors, rss, args, database, problems)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "database": database,
                        "push": vars(push) | {"rate": push.rate},
                        "pull": vars(pull) | {"rate": pull.rate},
                        "floor": {"write": floors[0], "read": floors[1]},
                        "rss_mb": rss,
                        "push_retries_503": args.retries,
                        "problems": problems,
                    },
                    indent=2,
                )
            )
        if not ok:
            log = (tmp / "server.log").read_text(errors="replace")
            print(f"server log (last 4,000 characters):\n{log[-4000:]}", file=sys.stderr)
            raise SystemExit(1)


if __name__ == "__main__":
    main()
