"""Console pages on the demo's data, server-side time (in process, one client, sequential).

Seeds ``--cases`` synthetic cases with ``lantern demo``'s seeding, signs each
role in through the console's form, then times each main page: the whole
request (session cookie, token lookup, service, template) as the ASGI app
answers it, without a network or a browser.

Usage: python -m bench.console_bench [--cases 1000] [--requests 20]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from backend.app import build_runtime, create_app
from backend.crypto.keys import create_key_file
from backend.db.migrate import upgrade
from backend.demo import DemoUser, seed_demo
from backend.settings import Settings

PASSWORD = "benchmark-synthetic-passphrase"  # noqa: S105 - synthetic bench accounts


async def _signed_in(app: object, user: DemoUser) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://bench",
    )
    form = await client.get("/console/login")
    token = re.search(r'name="csrf" value="([^"]*)"', form.text)
    assert token
    answer = await client.post(
        "/console/login",
        data={"csrf": token.group(1), "username": user.username, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text
    return client


async def _time(client: httpx.AsyncClient, path: str, n: int) -> str:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        answer = await client.get(path)
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, (path, answer.status_code)
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def run(cases: int, requests: int, url: str, data: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        key_file=data / "keys" / "lantern.key",
        database_url=url,
        rate_limit_per_minute=0,
        log_level="WARNING",
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        argon2_parallelism=1,
        duplicates_match_seconds=0,
    )
    runtime = build_runtime(settings)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600
    ) as seeder:
        demo = await seed_demo(
            runtime, seeder, cases=cases, caseworkers=2, password=PASSWORD, seed=3
        )
    users = {u.role: u for u in demo.users}
    coordinator = await _signed_in(app, users["coordinator"])
    triage = await coordinator.get("/console/cases")
    case_id = re.findall(r'href="/console/cases/([0-9a-f-]{36})"', triage.text)[0]
    admin = await _signed_in(app, users["admin"])
    investigator = await _signed_in(app, users["investigator"])
    opened = await investigator.post(
        "/console/investigations",
        data={
            "csrf": re.findall(
                r'name="csrf" value="([^"]*)"',
                (await investigator.get("/console/investigations")).text,
            )[0],
            "title": "Bench",
            "purpose": "Bench",
            "legal_basis": "Bench",
        },
    )
    investigation = opened.headers["location"]
    rows = [
        ("coordinator: triage, first page of 50", coordinator, "/console/cases"),
        ("coordinator: triage filtered (flag=child)", coordinator, "/console/cases?flag=child"),
        ("coordinator: triage, page 10", coordinator, "/console/cases?page=10"),
        (
            "coordinator: the case (decrypted, audited)",
            coordinator,
            f"/console/cases/{case_id}?purpose=review",
        ),
        ("coordinator: transfers", coordinator, "/console/transfers"),
        ("admin: users", admin, "/console/admin/users"),
        ("investigator: lookup of the hub", investigator, f"{investigation}?address={demo.hub}"),
    ]
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://bench",
        headers={"Authorization": f"Bearer {users['coordinator'].token}"},
    )
    rows.insert(1, ("the API's triage, first 50 (for comparison)", api, "/api/v1/cases?limit=50"))
    print(f"console pages, {cases} demo cases, {requests} requests each (SQLite in process)")
    for label, client, path in rows:
        print(f"  {label}: {await _time(client, path, requests)}")
    for client in (coordinator, admin, investigator, api):
        await client.aclose()
    await runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="an empty database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        create_key_file(data / "keys" / "lantern.key", development=True)
        url = args.database_url or f"sqlite+aiosqlite:///{data / 'bench.db'}"
        upgrade(url)
        asyncio.run(run(args.cases, args.requests, url, data))


if __name__ == "__main__":
    main()
