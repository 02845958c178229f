"""Server benchmark: a real ``lantern serve`` process driven over loopback HTTP.

Measures, with N concurrent clients (20 by default) on keep-alive connections:

- ``GET /health/live`` and ``GET /api/v1/me``, alternated in rounds, and the ratio
  of their throughputs (``/me`` ÷ ``/health/live``), with p50/p95/p99 latency;
- audit appends per second: N clients ``POST /api/v1/operations`` (each request
  appends exactly one chained audit entry); entries are counted before and after
  with the admin route ``GET /api/v1/audit/verify``, which also checks the chain;
- ``/me`` while writers are busy: N readers and W writers at once, to show that
  reads do not wait for the write lock.

The server is started with ``lantern db upgrade``, ``lantern users create`` and
``lantern serve`` in a temporary data directory, on SQLite (WAL), or on a
throwaway database ``lantern_bench_<random>`` created on the PostgreSQL server
named by ``--database-url`` and dropped afterwards. The load generator is a
minimal HTTP/1.1 keep-alive client on asyncio (httpx costs more CPU per request
than the server's cheapest route does, on a 2-core machine it would be the
limit); its CPU use is reported beside the server's so that a client-bound
figure shows itself.

Usage:
    python -m bench.server_bench [--duration 10] [--clients 20] [--writers 5]
        [--rounds 2] [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/x]
        [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

PASSWORD = "bench-synthetic-passphrase-not-secret"  # noqa: S105 - synthetic bench accounts
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the load generator ----------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; requests are sent one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
                break
        if length is None:
            if status in (204, 304):
                return status, b""
            raise RuntimeError(f"answer without Content-Length: {head[:200]!r}")
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


def build_request(
    method: str, path: str, *, host: str, token: str | None = None, body: bytes | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


@dataclass
class Load:
    """One kind of request, sent by ``clients`` concurrent clients."""

    name: str
    clients: int
    requests: list[bytes]  # cycled through, one per call
    expect: tuple[int, ...] = (200,)


@dataclass
class Outcome:
    name: str
    latencies: list[float] = field(default_factory=list)
    unexpected: collections.Counter[int] = field(default_factory=collections.Counter)


async def _client(
    host: str, port: int, load: Load, offset: int, stop_at: float, outcome: Outcome
) -> None:
    conn = await Connection.open(host, port)
    try:
        n = offset
        requests = load.requests
        clock = time.perf_counter
        while clock() < stop_at:
            raw = requests[n % len(requests)]
            n += load.clients
            start = clock()
            status, _ = await conn.request(raw)
            outcome.latencies.append(clock() - start)
            if status not in load.expect:
                outcome.unexpected[status] += 1
    finally:
        conn.close()


async def drive(host: str, port: int, loads: Sequence[Load], seconds: float) -> list[Outcome]:
    """Run every load at once for ``seconds``; one outcome per load."""
    stop_at = time.perf_counter() + seconds
    outcomes = [Outcome(load.name) for load in loads]
    await asyncio.gather(
        *(
            _client(host, port, load, i, stop_at, outcome)
            for load, outcome in zip(loads, outcomes, strict=True)
            for i in range(load.clients)
        )
    )
    return outcomes


# -- measuring -------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _percentile(sorted_samples: Sequence[float], q: float) -> float:
    if not sorted_samples:
        return float("nan")
    index = min(len(sorted_samples) - 1, max(0, round(q * len(sorted_samples)) - 1))
    return sorted_samples[index]


@dataclass
class Figure:
    phase: str
    name: str
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    unexpected: dict[int, int]
    server_cpu: float  # fraction of one core
    client_cpu: float
    threads_started: int  # server threads seen that did not exist before (a lower bound)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class Server:
    host: str
    port: int
    pid: int
    postgres_pids: list[int] = field(default_factory=list)


class ThreadWatch:
    """Polls the server's threads: each aiosqlite connection runs one, so new
    threads are SQLite connections opened (pool overflow churn)."""

    def __init__(self, pid: int) -> None:
        self.tasks = Path(f"/proc/{pid}/task")
        self.before = self._now()
        self.seen: set[str] = set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _now(self) -> set[str]:
        try:
            return {task.name for task in self.tasks.iterdir()}
        except OSError:
            return set()

    def _poll(self) -> None:
        while not self.done.wait(0.002):
            self.seen |= self._now()

    def __enter__(self) -> ThreadWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    @property
    def started(self) -> int:
        return len(self.seen - self.before)


async def measure(
    server: Server, phase: str, loads: Sequence[Load], seconds: float
) -> list[Figure]:
    server_before = _proc_cpu(server.pid)
    client_before = time.process_time()
    wall = time.perf_counter()
    with ThreadWatch(server.pid) as threads:
        outcomes = await drive(server.host, server.port, loads, seconds)
    wall = time.perf_counter() - wall
    server_cpu = (_proc_cpu(server.pid) - server_before) / wall
    client_cpu = (time.process_time() - client_before) / wall
    figures = []
    for outcome in outcomes:
        samples = sorted(outcome.latencies)
        figures.append(
            Figure(
                phase=phase,
                name=outcome.name,
                requests=len(samples),
                seconds=wall,
                p50=_percentile(samples, 0.50),
                p95=_percentile(samples, 0.95),
                p99=_percentile(samples, 0.99),
                unexpected=dict(outcome.unexpected),
                server_cpu=server_cpu,
                client_cpu=client_cpu,
                threads_started=threads.started,
            )
        )
    return figures


def merge(figures: Sequence[Figure]) -> Figure:
    """Rounds of the same measurement as one figure (latency percentiles: the worst round)."""
    first = figures[0]
    seconds = sum(f.seconds for f in figures)
    unexpected: collections.Counter[int] = collections.Counter()
    for f in figures:
        unexpected.update(f.unexpected)
    return Figure(
        phase=first.phase,
        name=first.name,
        requests=sum(f.requests for f in figures),
        seconds=seconds,
        p50=max(f.p50 for f in figures),
        p95=max(f.p95 for f in figures),
        p99=max(f.p99 for f in figures),
        unexpected=dict(unexpected),
        server_cpu=sum(f.server_cpu * f.seconds for f in figures) / seconds,
        client_cpu=sum(f.client_cpu * f.seconds for f in figures) / seconds,
        threads_started=sum(f.threads_started for f in figures),
    )


# -- the server ------------------------------------------------------------------


def bench_environment(data_dir: Path) -> dict[str, str]:
    """This process's environment without LANTERN_*, plus a benchmark server's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
    env.update(
        LANTERN_DATA_DIR=str(data_dir),
        LANTERN_KEY_FILE=str(data_dir / "lantern.key"),
        LANTERN_RATE_LIMIT_PER_MINUTE="0",
        LANTERN_LOG_LEVEL="WARNING",
        LANTERN_ARGON2_TIME_COST="1",
        LANTERN_ARGON2_MEMORY_COST_KIB="1024",
        LANTERN_ARGON2_PARALLELISM="1",
    )
    return env


def _lantern() -> list[str]:
    script = Path(sys.executable).parent / "lantern"
    return [str(script)] if script.exists() else [sys.executable, "-m", "backend.cli"]


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _require_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"port {port} on {host} is busy ({exc.strerror})") from None


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - our own CLI
        [*_lantern(), *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"lantern {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A throwaway database on the server of ``url``, dropped afterwards."""
    import asyncpg  # type: ignore[import-untyped]

    parts = urlsplit(url)
    name = f"lantern_bench_{secrets.token_hex(4)}"
    admin_dsn = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"dropped database {name}", file=sys.stderr)


@contextlib.contextmanager
def running_server(env: dict[str, str], host: str, port: int, log: Path) -> Iterator[Server]:
    """``lantern serve`` in a process of its own, stopped on the way out whatever happens."""
    _require_free(host, port)
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own CLI
            [*_lantern(), "serve", "--host", host, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(
                    f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{host}:{port}/health/ready", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"the server was not ready in 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield Server(host=host, port=port, pid=proc.pid)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- profiling -------------------------------------------------------------------


@contextlib.contextmanager
def profiled(
    server: Server, directory: Path | None, label: str, seconds: float, gil: bool = True
) -> Iterator[None]:
    """Sample the server with py-spy while the block runs (collapsed stacks in ``directory``).

    With ``gil`` only the thread holding the GIL is sampled: where the server's
    Python CPU goes. Without it every thread is sampled, and py-spy counts
    aiosqlite's worker threads blocked on their queue as busy: filter them out.
    """
    if directory is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"{label}.txt"
    proc = subprocess.Popen(  # noqa: S603 - a profiler named by path
        [
            spy,
            "record",
            "--pid",
            str(server.pid),
            "--format",
            "raw",
            "--rate",
            "250",
            "--threads",
            *(["--gil"] if gil else ["--native"]),
            "--duration",
            str(int(seconds) + 2),
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # let it attach
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(f"  profile: {out}", file=sys.stderr)


# -- the run ---------------------------------------------------------------------


@dataclass
class Accounts:
    coordinator: str
    reader: str
    admin: str
    operation: str


def _sign_in(base: str, username: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def prepare(env: dict[str, str], base: str) -> Accounts:
    """Accounts over the CLI, tokens over HTTP, one operation the reader belongs to."""
    names = {
        role: f"bench_{role}_{secrets.token_hex(3)}"
        for role in ("coordinator", "caseworker", "admin")
    }
    for role, name in names.items():
        _cli(env, "users", "create", "--username", name, "--role", role, stdin=PASSWORD + "\n")
    coordinator = _sign_in(base, names["coordinator"])
    reader = _sign_in(base, names["caseworker"])
    admin = _sign_in(base, names["admin"])
    me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {reader}"}).json()
    headers = {"Authorization": f"Bearer {coordinator}"}
    op = httpx.post(
        f"{base}/api/v1/operations",
        json={"name": "bench operation", "country": "KH", "site": "bench site"},
        headers=headers,
    )
    op.raise_for_status()
    operation = op.json()["id"]
    httpx.post(
        f"{base}/api/v1/operations/{operation}/members", json={"user_id": me["id"]}, headers=headers
    ).raise_for_status()
    return Accounts(coordinator=coordinator, reader=reader, admin=admin, operation=operation)


def audit_state(base: str, admin: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{base}/api/v1/audit/verify", headers={"Authorization": f"Bearer {admin}"}, timeout=120
    )
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    if not result["ok"]:
        raise SystemExit(f"the audit chain is broken: {result}")
    return result


async def run_phases(
    server: Server, accounts: Accounts, args: argparse.Namespace
) -> tuple[list[Figure], dict[str, Any]]:
    host = f"{server.host}:{server.port}"
    base = f"http://{host}"
    live = Load("GET /health/live", args.clients, [build_request("GET", "/health/live", host=host)])
    me = Load(
        "GET /api/v1/me",
        args.clients,
        [build_request("GET", "/api/v1/me", host=host, token=accounts.reader)],
    )
    # Authenticated (token lookup in its read transaction), but the handler opens
    # no session: separates the cost of authentication from the handler's own read.
    auth_only = Load(
        "GET /api/v1/instruments (auth, no handler DB)",
        args.clients,
        [build_request("GET", "/api/v1/instruments", host=host, token=accounts.reader)],
    )

    def creates(clients: int) -> Load:
        bodies = [
            json.dumps({"name": f"bench {uuid.uuid4().hex[:8]}", "country": "KH", "site": "s"})
            for _ in range(64)
        ]
        return Load(
            "POST /api/v1/operations (1 audit entry each)",
            clients,
            [
                build_request(
                    "POST",
                    "/api/v1/operations",
                    host=host,
                    token=accounts.coordinator,
                    body=b.encode(),
                )
                for b in bodies
            ],
            expect=(201,),
        )

    seconds = args.duration
    print(f"warming up ({args.warmup:g} s)", file=sys.stderr)
    await measure(server, "warmup", [live, me], args.warmup)

    figures: list[Figure] = []
    rounds: dict[str, list[Figure]] = {"live": [], "me": [], "auth": []}
    for r in range(args.rounds):
        for key, load in (("live", live), ("me", me), ("auth", auth_only)):
            print(f"round {r + 1}/{args.rounds}: {load.name}", file=sys.stderr)
            with profiled(server, args.profile, f"{key}-{r + 1}", seconds, args.profile_gil):
                rounds[key] += await measure(server, "alone", [load], seconds)
    figures += [merge(rounds["live"]), merge(rounds["me"]), merge(rounds["auth"])]

    before = audit_state(base, accounts.admin)
    print(f"audited writes, {args.clients} clients", file=sys.stderr)
    with profiled(server, args.profile, "writes", seconds, args.profile_gil):
        (writes,) = await measure(server, "writes", [creates(args.clients)], seconds)
    after = audit_state(base, accounts.admin)
    appended = after["entries_checked"] - before["entries_checked"]
    figures.append(writes)

    print(f"{args.clients} readers + {args.writers} writers at once", file=sys.stderr)
    with profiled(server, args.profile, "mixed", seconds, args.profile_gil):
        mixed = await measure(
            server,
            "mixed",
            [Load(me.name, args.clients, me.requests), creates(args.writers)],
            seconds,
        )
    figures += mixed
    final = audit_state(base, accounts.admin)
    audit = {
        "appended": appended,
        "appends_per_second": appended / writes.seconds,
        "entries_after_writes": after["entries_checked"],
        "entries_final": final["entries_checked"],
        "chain_ok": final["ok"],
    }
    return figures, audit


def report(
    figures: Sequence[Figure], audit: dict[str, Any], *, database: str, args: argparse.Namespace
) -> None:
    print()
    print(
        f"database: {database}; {args.clients} clients; {args.duration:g} s per measurement, "
        f"{args.rounds} alternating rounds of live, /me and auth-only; {os.cpu_count()} CPUs"
    )
    columns = (
        f"| {'phase':<6} | {'request':<44} | {'req/s':>6} | {'p50 ms':>7} | {'p95 ms':>7} "
        f"| {'p99 ms':>7} | server CPU | client CPU | threads started | unexpected |"
    )
    print(columns)
    print("|" + "|".join("-" * len(c) for c in columns.split("|")[1:-1]) + "|")
    for f in figures:
        print(
            f"| {f.phase:<6} | {f.name:<44} | {f.rate:6.0f} | {f.p50 * 1e3:7.2f} | "
            f"{f.p95 * 1e3:7.2f} | {f.p99 * 1e3:7.2f} | {f.server_cpu:10.0%} | "
            f"{f.client_cpu:10.0%} | {f.threads_started:15d} | {f.unexpected or '-'} |"
        )
    live, me, auth, writes, mixed_me = figures[:5]
    print()
    print(f"/me ÷ /health/live throughput: {me.rate / live.rate:.2f}x (target ≥ 0.8x)")
    print(f"auth-only ÷ /health/live throughput: {auth.rate / live.rate:.2f}x")
    print(
        f"/me p99 alone: {me.p99 * 1e3:.1f} ms; with {args.writers} writers busy: "
        f"{mixed_me.p99 * 1e3:.1f} ms (target < 100 ms)"
    )
    print(
        f"server CPU per request (ms of one core): live {live.server_cpu / live.rate * 1e3:.2f}, "
        f"auth-only {auth.server_cpu / auth.rate * 1e3:.2f}, /me {me.server_cpu / me.rate * 1e3:.2f}, "
        f"audited write {writes.server_cpu / writes.rate * 1e3:.2f}"
    )
    print(
        f"audit appends: {audit['appended']} in {writes.seconds:.1f} s = "
        f"{audit['appends_per_second']:.0f} per second; chain verified intact "
        f"({audit['entries_final']} entries): {audit['chain_ok']}"
    )
    bad = [f for f in figures if f.unexpected]
    if bad:
        raise SystemExit(f"unexpected answers: {[(f.name, f.unexpected) for f in bad]}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2, help="alternating live / me rounds")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--writers", type=int, default=5, help="writers beside the readers")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql+asyncpg://…/db: bench on a throwaway database on that server",
    )
    parser.add_argument(
        "--production-argon2",
        action="store_true",
        help="keep the production argon2 cost (sign-in is not measured; it only slows setup)",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="record py-spy profiles of each phase here"
    )
    parser.add_argument(
        "--profile-all-threads",
        dest="profile_gil",
        action="store_false",
        help="sample every thread with native frames, not only the one holding the GIL",
    )
    args = parser.parse_args(argv)
    port = args.port or _free_port(args.host)
    # A SIGTERM unwinds like Ctrl-C does: the server is stopped, the database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lantern-bench-")))
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANTERN_")}
        env.update(
            LANTERN_DATA_DIR=str(tmp),
            LANTERN_KEY_FILE=str(tmp / "lantern.key"),
            LANTERN_RATE_LIMIT_PER_MINUTE="0",
            LANTERN_LOG_LEVEL="WARNING",
        )
        if not args.production_argon2:
            env.update(
                LANTERN_ARGON2_TIME_COST="1",
                LANTERN_ARGON2_MEMORY_COST_KIB="1024",
                LANTERN_ARGON2_PARALLELISM="1",
            )
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
        server = stack.enter_context(running_server(env, args.host, port, tmp / "server.log"))
        base = f"http://{server.host}:{server.port}"
        print(f"server {server.pid} ready on {base} ({database})", file=sys.stderr)
        accounts = prepare(env, base)
        with contextlib.suppress(ImportError):
            import uvloop

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        figures, audit = asyncio.run(run_phases(server, accounts, args))
        report(figures, audit, database=database, args=args)
        print(_cli(env, "audit", "verify").strip())


if __name__ == "__main__":
    main()
