"""Foundation benchmarks, measured side by side in one run (ratios, not absolute times).

- ``me_vs_live``: an authenticated request (token hash, one indexed lookup,
  guard) against the cheapest route (/health/live): the cost of authentication.
- ``login``: a sign-in with the production argon2id parameters (RFC 9106, 64 MiB)
  against one with test parameters: what the hash costs a sign-in.
- ``audit_append``: appending chained audit entries, per entry.

Usage: python -m bench [--requests N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from backend.app import build_runtime, create_app
from backend.audit.services import AuditEvent, AuditLog
from backend.crypto.keys import create_key_file
from backend.db.migrate import upgrade
from backend.settings import Settings
from backend.users.services import UserService

PASSWORD = "benchmark-synthetic-passphrase"  # noqa: S105 - synthetic bench account


async def _timed(n: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.2f} ms, p95 {sorted(samples)[int(len(samples) * 0.95) - 1] * 1000:.2f} ms"


async def run(requests: int, url: str, data: Path, key_file: Path) -> None:
    results = []
    for label, cost in (
        (
            "test argon2 (t=1, 1 MiB)",
            {"argon2_time_cost": 1, "argon2_memory_cost_kib": 1024, "argon2_parallelism": 1},
        ),
        ("production argon2 (t=3, 64 MiB, p=4)", {}),
    ):
        settings = Settings(
            _env_file=None,
            data_dir=data,
            key_file=key_file,
            database_url=url,
            rate_limit_per_minute=0,
            log_level="WARNING",
            **cost,
        )  # type: ignore[call-arg, arg-type]
        runtime = build_runtime(settings)
        app = create_app(runtime=runtime)
        name = f"bench-{len(results)}-{int(time.time())}"
        async with runtime.db.session() as s, s.begin():
            await UserService(s, runtime).create(
                actor=None, username=name, password=PASSWORD, role="caseworker"
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            login = await _timed(
                max(5, requests // 20),
                lambda name=name: client.post(  # type: ignore[misc]
                    "/api/v1/auth/token", json={"username": name, "password": PASSWORD}
                ),
            )
            token = (
                await client.post(
                    "/api/v1/auth/token", json={"username": name, "password": PASSWORD}
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            live = await _timed(requests, lambda: client.get("/health/live"))
            me = await _timed(
                requests,
                lambda headers=headers: client.get("/api/v1/me", headers=headers),  # type: ignore[misc]
            )
        results.append((label, login, live, me))
        if not cost:
            # Events are buffered and appended, chained and sealed at commit:
            # time the whole transaction, commit included.
            start = time.perf_counter()
            async with runtime.db.session() as s, s.begin():
                log = AuditLog(s, runtime.keyring)
                for n in range(requests):
                    log.record(AuditEvent(action="bench.event", object_id=str(n)))
            audit = (time.perf_counter() - start) / requests
        await runtime.db.dispose()
    print(
        f"database: {'postgresql' if url.startswith('postgresql') else 'sqlite'}; requests per measurement: {requests}"
    )
    for label, login, _live, _me in results:
        print(f"login with {label}: {_ms(login)}")
    _, _, live, me = results[1]
    print(f"GET /health/live: {_ms(live)}")
    print(f"GET /api/v1/me (token auth): {_ms(me)}")
    print(
        f"ratio me/live (authentication overhead): {statistics.median(me) / statistics.median(live):.2f}x"
    )
    print(
        f"ratio login production/test argon2: {statistics.median(results[1][1]) / statistics.median(results[0][1]):.1f}x"
    )
    print(f"audit append, one transaction: {audit * 1e6:.0f} µs per entry")


def screening_figures(iterations: int) -> None:
    """Assessment and localisation costs, per call, side by side."""
    from backend.i18n import get_catalogs
    from screening import assess, decode_answers, load_registry, localize

    instrument = load_registry().get("scam_compound", 1)
    raw = {
        "age_years": {"value": 27},
        "how_recruited": {"value": "social_media"},
        "promised_other_job": {"value": "yes"},
        "job_promised": {"value": "it"},
        "things_taken": {"value": ["passport", "phone"]},
        "work_done": {"value": ["crypto_fraud"]},
        "used_scripts": {"value": "yes"},
        "had_target": {"value": "yes"},
        "target_missed": {"value": ["beaten"]},
        "safe_now": {"skipped": "dont_know"},
    }
    start = time.perf_counter()
    for _ in range(iterations):
        decode_answers(raw)
    decode = (time.perf_counter() - start) / iterations
    answers = decode_answers(raw)
    start = time.perf_counter()
    for _ in range(iterations):
        assess(instrument, answers)
    assessed = (time.perf_counter() - start) / iterations
    catalogs = get_catalogs()
    rounds = max(10, iterations // 50)
    start = time.perf_counter()
    for _ in range(rounds):
        localize(instrument, catalogs.translator("vi").lookup, locale="vi")
    localized = (time.perf_counter() - start) / rounds
    print(
        f"decode answers: {decode * 1e6:.0f} µs; assess: {assessed * 1e6:.0f} µs "
        f"({assessed / decode:.1f}x decode); localise whole instrument (vi, uncached): "
        f"{localized * 1e3:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        key_file = data / "bench.key"
        create_key_file(key_file, development=True)
        url = args.database_url or f"sqlite+aiosqlite:///{data / 'bench.db'}"
        upgrade(url)  # runs its own event loop
        asyncio.run(run(args.requests, url, data, key_file))
    screening_figures(args.requests * 5)


if __name__ == "__main__":
    main()
