"""Re-wrapping data keys under a new master key: keys per second, one worker and two at once.

Usage: python -m bench.rotation_bench [--keys N] [--batch-size N] [--database-url URL]

Makes a throwaway database (SQLite in a temporary directory, or
``lantern_bench_<random>`` on the PostgreSQL server of ``--database-url``,
dropped afterwards), writes N wrapped data keys under one master key, stages
and activates a second, and times ``lantern keys rewrap`` run in process:
once with one worker, and (PostgreSQL) again to the first key with two
workers at once. Only the data keys are re-wrapped; no record is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from backend.app import build_runtime
from backend.crypto.keys import activate_master_key, add_master_key
from backend.crypto.vault import Vault
from backend.db.models import DataKey
from backend.rotation.services import rewrap
from backend.runtime import Runtime
from backend.settings import Settings
from bench.throwaway import throwaway_settings


async def _seed(runtime: Runtime, keys: int) -> None:
    vault = Vault(runtime.keyring)
    for start in range(0, keys, 5000):
        async with runtime.db.session() as session, session.begin():
            for _ in range(start, min(keys, start + 5000)):
                owner = uuid.uuid4()
                _, wrapped = vault.new_data_key(owner)
                session.add(
                    DataKey(
                        owner_id=owner,
                        wrapped=wrapped.wrapped,
                        master_key_id=wrapped.master_key_id,
                    )
                )


async def _timed(settings: Settings, workers: int, batch_size: int) -> tuple[float, int]:
    runtimes = [build_runtime(settings) for _ in range(workers)]
    start = time.perf_counter()
    try:
        reports = await asyncio.gather(*(rewrap(r, batch_size=batch_size) for r in runtimes))
    finally:
        for r in runtimes:
            await r.db.dispose()
    return time.perf_counter() - start, sum(r.total for r in reports)


def run(keys: int, batch_size: int, url: str | None) -> None:
    with throwaway_settings(url) as settings:
        key_file = settings.effective_key_file
        runtime = build_runtime(settings)
        first = runtime.keyring.active_id

        async def seed() -> None:
            try:
                await _seed(runtime, keys)
            finally:
                await runtime.db.dispose()

        asyncio.run(seed())
        kind = "PostgreSQL" if url else "SQLite"
        second = add_master_key(key_file)
        activate_master_key(key_file, second)
        seconds, total = asyncio.run(_timed(settings, 1, batch_size))
        print(
            f"{kind}: {total:,} keys re-wrapped by 1 worker in {seconds:.2f} s "
            f"({total / seconds:,.0f} keys/s, batches of {batch_size})"
        )
        if url:
            activate_master_key(key_file, first)
            seconds, total = asyncio.run(_timed(settings, 2, batch_size))
            print(
                f"{kind}: {total:,} keys re-wrapped by 2 workers at once in {seconds:.2f} s "
                f"({total / seconds:,.0f} keys/s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    run(args.keys, args.batch_size, args.database_url)


if __name__ == "__main__":
    main()
