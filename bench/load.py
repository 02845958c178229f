"""Bounded mixed load on a real server over loopback: phones, coordinators, investigators.

A ``lantern serve`` process (several workers on PostgreSQL, one on SQLite) in
a throwaway data directory (and a throwaway PostgreSQL database), then for a
fixed time:

- ``--phones`` caseworkers' phones (50), each signed in with its own device,
  pushing a batch of new cases (with a consent and a wallet disclosure) and
  pulling to the end, with a short pause between rounds;
- ``--coordinators`` (3) reading the triage list and single cases;
- ``--investigators`` (2) looking up addresses the phones disclosed.

Reported: requests and throughput, p50 and p99 per route template, every
answer that is not the route's success (target 0, 429s counted apart), and
the server's resident memory (all its processes) sampled every two seconds.
All requests come from one address (127.0.0.1), as a raid's phones do.

Usage:
    python -m bench.load [--duration 30] [--phones 50] [--coordinators 3]
        [--investigators 2] [--workers N] [--rate-limit N] [--setting NAME=VALUE]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/x]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import os
import random
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import base58
import httpx

from bench.server_bench import PASSWORD, _cli, _free_port, _lantern, bench_environment
from bench.server_bench import postgres_database as _postgres_database

Samples = dict[str, list[float]]


def tron(seed: str) -> str:
    """A valid, obviously synthetic Tron address."""
    return base58.b58encode_check(b"\x41" + hashlib.sha256(seed.encode()).digest()[:20]).decode()


def _processes(root: int) -> list[int]:
    """``root`` and its children (uvicorn's workers)."""
    found = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == root:
                    found.append(int(entry.name))
    return found


def _rss_mib(root: int) -> float:
    total = 0
    for pid in _processes(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


@contextlib.contextmanager
def serving(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[int]:
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own CLI
            [*_lantern(), "serve", "--host", "127.0.0.1", "--port", str(port)]
            + (["--workers", str(workers)] if workers > 1 else []),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).is_success:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"not ready in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Load:
    """Shared state of one run: samples per route, unexpected answers, what was disclosed."""

    def __init__(self, client: httpx.AsyncClient, until: float) -> None:
        self.client = client
        self.until = until
        self.samples: Samples = collections.defaultdict(list)
        self.unexpected: collections.Counter[str] = collections.Counter()
        self.limited = 0
        self.addresses: list[str] = []
        self.cases: list[str] = []

    async def call(self, route: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        try:
            answer = await self.client.request(method, url, **kwargs)
        except httpx.TransportError as exc:  # a timeout is an error of the run, not a crash
            self.samples[route].append(time.perf_counter() - started)
            self.unexpected[f"{route} {type(exc).__name__}"] += 1
            return httpx.Response(599)
        self.samples[route].append(time.perf_counter() - started)
        if answer.status_code == 429:
            self.limited += 1
        elif not answer.is_success:
            self.unexpected[f"{route} {answer.status_code}"] += 1
        return answer


async def phone(load: Load, headers: dict[str, str], device: str, operation: str, n: int) -> None:
    rng = random.Random(n)
    cursor: str | None = None
    round_ = 0
    while time.monotonic() < load.until:
        round_ += 1
        mutations = []
        pushed_cases: list[tuple[str, str]] = []
        for k in range(3):
            case_id = str(uuid.uuid4())
            address = tron(f"load-{n}-{round_}-{k}")
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            mutations += [
                _mutation(
                    "case",
                    case_id,
                    {
                        "operation_id": operation,
                        "case_code": f"L{n:03d}-{round_:04d}{k}",
                        "given_names": "Zorbla",
                        "family_name": "Synthetic",
                    },
                ),
                _mutation(
                    "consent",
                    str(uuid.uuid4()),
                    {
                        "case_id": case_id,
                        "purpose": "financial_investigation",
                        "state": "given",
                        "recorded_at": now,
                    },
                ),
                _mutation(
                    "disclosure",
                    str(uuid.uuid4()),
                    {
                        "case_id": case_id,
                        "kind": "wallet",
                        "role": "scam_collection",
                        "raw": address,
                    },
                ),
            ]
            pushed_cases.append((case_id, address))
        pushed = await load.call(
            "POST /api/v1/sync/push",
            "POST",
            "/api/v1/sync/push",
            headers=headers,
            json={"device_id": device, "mutations": mutations},
        )
        if pushed.is_success:  # only what the server acknowledged is looked up by others
            load.cases += [case_id for case_id, _ in pushed_cases]
            load.addresses += [address for _, address in pushed_cases]
        while True:
            params: dict[str, Any] = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            pulled = await load.call(
                "GET /api/v1/sync/pull", "GET", "/api/v1/sync/pull", headers=headers, params=params
            )
            if not pulled.is_success:
                break
            body = pulled.json()
            cursor = body["cursor"]
            if not body["has_more"]:
                break
        await asyncio.sleep(rng.uniform(0.5, 1.5))  # a phone between syncs


def _mutation(entity: str, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "mutation_id": str(uuid.uuid4()),
        "entity": entity,
        "id": record_id,
        "op": "upsert",
        "base_rev": None,
        "data": data,
        "client_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


async def coordinator(load: Load, headers: dict[str, str], operation: str) -> None:
    while time.monotonic() < load.until:
        await load.call(
            "GET /api/v1/cases",
            "GET",
            "/api/v1/cases",
            headers=headers,
            params={"operation_id": operation, "limit": 50},
        )
        if load.cases:
            case_id = random.choice(load.cases)
            await load.call(
                "GET /api/v1/cases/{case_id}", "GET", f"/api/v1/cases/{case_id}", headers=headers
            )
        await asyncio.sleep(0.2)


async def investigator(load: Load, headers: dict[str, str], investigation: str) -> None:
    while time.monotonic() < load.until:
        if load.addresses:
            address = random.choice(load.addresses)
            await load.call(
                "GET /api/v1/investigations/{id}/addresses/{chain}/{address}",
                "GET",
                f"/api/v1/investigations/{investigation}/addresses/tron/{address}",
                headers=headers,
            )
        await asyncio.sleep(0.2)


async def memory(load: Load, pid: int, seen: list[tuple[float, float]], started: float) -> None:
    while time.monotonic() < load.until:
        seen.append((time.monotonic() - started, _rss_mib(pid)))
        await asyncio.sleep(2)


async def run(args: argparse.Namespace, base: str, pid: int, admin: str) -> None:
    admin_headers = {"Authorization": f"Bearer {admin}"}
    limits = httpx.Limits(max_connections=args.phones + 20)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def account(role: str) -> tuple[str, dict[str, str], str]:
            name = f"load_{role}_{uuid.uuid4().hex[:8]}"
            made = await client.post(
                "/api/v1/users",
                headers=admin_headers,
                json={"username": name, "password": PASSWORD, "role": role},
            )
            made.raise_for_status()
            device = str(uuid.uuid4())
            signed = await client.post(
                "/api/v1/auth/token",
                json={"username": name, "password": PASSWORD, "device_id": device},
            )
            signed.raise_for_status()
            token = signed.json()["access_token"]
            return made.json()["id"], {"Authorization": f"Bearer {token}"}, device

        _, coord, _ = await account("coordinator")
        operation = (
            await client.post(
                "/api/v1/operations",
                headers=coord,
                json={"name": "Operation Load (synthetic)", "country": "KH", "site": "Loopback"},
            )
        ).json()["id"]
        phones = []
        for _ in range(args.phones):
            user_id, headers, device = await account("caseworker")
            added = await client.post(
                f"/api/v1/operations/{operation}/members", headers=coord, json={"user_id": user_id}
            )
            added.raise_for_status()
            phones.append((headers, device))
        coordinators = [coord] * args.coordinators  # one coordinator's desk, several tabs
        investigators = []
        for _ in range(args.investigators):
            _, headers, _ = await account("investigator")
            opened = await client.post(
                "/api/v1/investigations",
                headers=headers,
                json={"title": "Load", "purpose": "Synthetic load", "legal_basis": "Synthetic"},
            )
            opened.raise_for_status()
            investigators.append((headers, opened.json()["id"]))

        started = time.monotonic()
        load = Load(client, started + args.duration)
        rss: list[tuple[float, float]] = []
        await asyncio.gather(
            memory(load, pid, rss, started),
            *(phone(load, h, d, operation, n) for n, (h, d) in enumerate(phones)),
            *(coordinator(load, h, operation) for h in coordinators[: args.coordinators]),
            *(investigator(load, h, inv) for h, inv in investigators),
        )
        elapsed = time.monotonic() - started
    report(args, load, rss, elapsed)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(
    args: argparse.Namespace, load: Load, rss: list[tuple[float, float]], elapsed: float
) -> None:
    total = sum(len(s) for s in load.samples.values())
    print(
        f"{args.database} ({args.workers} worker(s)), {args.phones} phones, "
        f"{args.coordinators} coordinators, {args.investigators} investigators, {elapsed:.0f} s: "
        f"{total} requests, {total / elapsed:.1f}/s"
    )
    print(f"{'route':62} {'n':>6} {'/s':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for route, samples in sorted(load.samples.items()):
        print(
            f"{route:62} {len(samples):>6} {len(samples) / elapsed:>7.1f} "
            f"{_percentile(samples, 0.5):>8.1f} {_percentile(samples, 0.99):>8.1f}"
        )
    print(f"unexpected answers: {sum(load.unexpected.values())} {dict(load.unexpected)}")
    print(f"429 (rate limited): {load.limited}")
    print("server memory (MiB, all processes): " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in rss))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--coordinators", type=int, default=3)
    parser.add_argument("--investigators", type=int, default=2)
    parser.add_argument("--workers", type=int)
    parser.add_argument(
        "--rate-limit", type=int, help="LANTERN_RATE_LIMIT_PER_MINUTE (default: the server's)"
    )
    parser.add_argument("--database-url")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting, e.g. DUPLICATES_MATCH_SECONDS=0 (LANTERN_ is added)",
    )
    args = parser.parse_args(argv)
    args.database = "PostgreSQL" if args.database_url else "SQLite"
    args.workers = args.workers or (2 if args.database_url else 1)
    with tempfile.TemporaryDirectory(prefix="lantern-load-") as tmp:
        data = Path(tmp)
        env = bench_environment(data)
        env.pop("LANTERN_RATE_LIMIT_PER_MINUTE", None)
        if args.rate_limit is not None:
            env["LANTERN_RATE_LIMIT_PER_MINUTE"] = str(args.rate_limit)
        for setting in args.setting:
            name, _, value = setting.partition("=")
            env[f"LANTERN_{name.upper()}"] = value
        stack = contextlib.ExitStack()
        with stack:
            if args.database_url:
                env["LANTERN_DATABASE_URL"] = stack.enter_context(
                    _postgres_database(args.database_url)
                )
            _cli(env, "keys", "init", "--if-missing")
            _cli(env, "db", "upgrade")
            admin = f"load_admin_{uuid.uuid4().hex[:6]}"
            _cli(
                env,
                "users",
                "create",
                "--username",
                admin,
                "--role",
                "admin",
                stdin=PASSWORD + "\n",
            )
            port = _free_port("127.0.0.1")
            with serving(env, port, args.workers, data / "server.log") as pid:
                base = f"http://127.0.0.1:{port}"
                token = httpx.post(
                    f"{base}/api/v1/auth/token",
                    json={"username": admin, "password": PASSWORD},
                    timeout=30,
                ).json()["access_token"]
                asyncio.run(run(args, base, pid, token))


if __name__ == "__main__":
    main()
