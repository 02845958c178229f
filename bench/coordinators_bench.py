"""Coordinators' routes on a seeded operation (in process, one client, sequential requests).

Seeds ``--cases`` synthetic cases with ``lantern demo``'s generator (about two
thirds with ``aggregate_statistics`` consent, some with referrals), then
times, on the same database:

- ``GET /api/v1/cases`` (triage, first page of 100), and one case opened;
- ``GET /api/v1/operations/{id}/summary`` as JSON and as CSV (consent check,
  eight tables protected with the LP audit);
- proposing a referral and moving it one step;
- erasing a case (crypto-shredding, tombstones, purge), ``--erase`` of them;
- a transfer accepted (every record of the case moved and logged), ``--erase`` of them.

Usage: python -m bench.coordinators_bench [--cases 1000] [--requests 20] [--erase 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from backend.app import build_runtime, create_app
from backend.crypto.keys import create_key_file
from backend.db.migrate import upgrade
from backend.demo import seed_demo
from backend.settings import Settings

PASSWORD = "benchmark-synthetic-passphrase"  # noqa: S105 - synthetic bench accounts


async def _timed(n: int, call: Callable[[int], Awaitable[httpx.Response]]) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        response = await call(i)
        samples.append(time.perf_counter() - start)
        assert response.status_code < 300, response.text
    return samples


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def run(cases: int, requests: int, erase: int, url: str, data: Path) -> None:
    key_file = data / "keys" / "lantern.key"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data,
        key_file=key_file,
        database_url=url,
        rate_limit_per_minute=0,
        log_level="WARNING",
        argon2_time_cost=1,
        argon2_memory_cost_kib=1024,
        argon2_parallelism=1,
    )
    runtime = build_runtime(settings)
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", timeout=600
    ) as client:
        start = time.perf_counter()
        seeded = await seed_demo(
            runtime, client, cases=cases, caseworkers=2, password=PASSWORD, seed=9
        )
        second = await seed_demo(
            runtime, client, cases=1, caseworkers=1, password=PASSWORD, seed=10
        )
        seeding = time.perf_counter() - start
        coordinator = seeded.users[0]
        headers = {"Authorization": f"Bearer {coordinator.token}"}
        target_headers = {"Authorization": f"Bearer {second.users[0].token}"}
        op = seeded.operation_id
        listed = (await client.get("/api/v1/cases", headers=headers, params={"limit": 500})).json()
        ids = [line["id"] for line in listed]
        rows: list[tuple[str, str]] = []
        rows.append(
            (
                "GET /api/v1/cases (first 100, most urgent first)",
                _ms(await _timed(requests, lambda _: client.get("/api/v1/cases", headers=headers))),
            )
        )
        rows.append(
            (
                "GET /api/v1/cases/{id} (decrypted, audited)",
                _ms(
                    await _timed(
                        requests, lambda i: client.get(f"/api/v1/cases/{ids[i]}", headers=headers)
                    )
                ),
            )
        )
        summary = f"/api/v1/operations/{op}/summary"
        rows.append(
            (
                "GET …/summary (JSON)",
                _ms(await _timed(requests, lambda _: client.get(summary, headers=headers))),
            )
        )
        rows.append(
            (
                "GET …/summary?format=csv",
                _ms(
                    await _timed(
                        requests,
                        lambda _: client.get(summary, headers=headers, params={"format": "csv"}),
                    )
                ),
            )
        )
        referrals: list[str] = []

        async def refer(i: int) -> httpx.Response:
            made = await client.post(
                f"/api/v1/cases/{ids[i]}/referrals", headers=headers, json={"service": "medical"}
            )
            referrals.append(made.json()["id"])
            return made

        rows.append(("POST …/referrals (propose)", _ms(await _timed(requests, refer))))
        rows.append(
            (
                "POST …/transitions (proposed → accepted)",
                _ms(
                    await _timed(
                        requests,
                        lambda i: client.post(
                            f"/api/v1/referrals/{referrals[i]}/transitions",
                            headers=headers,
                            json={"status": "accepted"},
                        ),
                    )
                ),
            )
        )
        rows.append(
            (
                "DELETE /api/v1/cases/{id} (erase)",
                _ms(
                    await _timed(
                        erase,
                        lambda i: client.delete(
                            f"/api/v1/cases/{ids[-1 - i]}",
                            headers=headers,
                            params={"reason": "duplicate"},
                        ),
                    )
                ),
            )
        )
        transfers: list[str] = []
        for i in range(erase):
            offered = await client.post(
                f"/api/v1/cases/{ids[requests + i]}/transfers",
                headers=headers,
                json={"to_operation": second.operation_id},
            )
            transfers.append(offered.json()["id"])

        async def accept(i: int) -> Any:
            return await client.post(
                f"/api/v1/transfers/{transfers[i]}/accept", headers=target_headers
            )

        rows.append(
            ("POST /api/v1/transfers/{id}/accept (move a case)", _ms(await _timed(erase, accept)))
        )
    await runtime.db.dispose()
    print(f"database: {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}; {cases} cases")
    print(f"seeded in {seeding:.1f} s; records: {dict(seeded.records)}")
    print("| measurement | figure |\n|---|---|")
    for label, figure in rows:
        print(f"| {label} | {figure} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--erase", type=int, default=20)
    parser.add_argument(
        "--database-url", default=None, help="an empty database (default: a new SQLite file)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        create_key_file(data / "keys" / "lantern.key", development=True)
        url = args.database_url or f"sqlite+aiosqlite:///{data / 'bench.db'}"
        upgrade(url)  # before the event loop: Alembic runs its own
        asyncio.run(run(args.cases, args.requests, args.erase, url, data))


if __name__ == "__main__":
    main()
