"""What duplicate detection adds to writing a case: ``encode_case`` against a store of N encodings.

Usage: python -m bench.duplicates_bench [--stored 10000] [--new 300] [--database-url URL]

A throwaway database (SQLite in a temporary directory, or ``lantern_bench_<random>``
on the PostgreSQL server of ``--database-url``, dropped afterwards) gets
``--stored`` encodings of the synthetic population (``bench.matching_data``,
seed 9, birth years 1960-2010), written directly; then ``--new`` more cases of
the same population are encoded and matched one by one with
``encode_case``, each in a transaction of its own, as sync does. Reported: the
time per case, and the block size (encodings compared per case).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import time
import uuid

from backend.app import build_runtime
from backend.db.models import PersonEncoding, Record
from backend.duplicates.services import encode_case
from backend.matching import encode_person
from backend.settings import Settings
from bench.matching_data import population
from bench.throwaway import throwaway_settings


def _values(
    name: str, year: int | None, nationality: str | None, sex: str | None
) -> dict[str, object]:
    given, _, family = name.partition(" ")
    return {
        "given_names": given,
        "family_name": family,
        "date_of_birth": f"{year}-01-01" if year else None,
        "nationality": nationality,
        "sex": sex or "unknown",
    }


async def _run(settings: Settings, stored: int, new: int) -> None:
    runtime = build_runtime(settings)
    people = population(seed=9, people=int((stored + new) / 1.4) + 10)[: stored + new]
    key = runtime.keyring.derive("person-match")
    operation = uuid.uuid4()
    try:
        async with runtime.db.session() as session, session.begin():
            for person in people[:stored]:
                e = encode_person(
                    key=key,
                    record_id=str(uuid.uuid4()),
                    name=person.name,
                    birth_year=person.birth_year,
                    nationality=person.nationality,
                    sex=person.sex,  # type: ignore[arg-type]
                )
                session.add(
                    PersonEncoding(
                        case_id=uuid.UUID(e.record_id),
                        operation_id=operation,
                        master_key_id=runtime.keyring.active_id,
                        name_filter=e.name_filter_bytes(),
                        birth_year=e.birth_year,
                        birth_year_window=b"".join(sorted(e.birth_year_window)),
                        nationality=e.nationality,
                        sex=e.sex,
                    )
                )
        times = []
        cpu = []
        now = dt.datetime.now(dt.UTC)
        for person in people[stored:]:
            record = Record(id=uuid.uuid4(), operation_id=operation, rev=1, created_at=now)
            values = _values(person.name, person.birth_year, person.nationality, person.sex)
            start, start_cpu = time.perf_counter(), time.process_time()
            async with runtime.db.session() as session, session.begin():
                await encode_case(session, runtime, record, values)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        times.sort()
        print(
            f"{stored:,} stored encodings: encode_case median {statistics.median(times) * 1e3:.2f} ms, "
            f"p95 {times[int(len(times) * 0.95)] * 1e3:.2f} ms; process CPU median "
            f"{statistics.median(cpu) * 1e3:.2f} ms; per case written "
            f"(one transaction each, {len(times)} cases; block ≈ {stored * 3 // 51:,} encodings)"
        )
    finally:
        await runtime.db.dispose()


def run(stored: int, new: int, url: str | None) -> None:
    with throwaway_settings(url) as settings:
        asyncio.run(_run(settings, stored, new))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    run(args.stored, args.new, args.database_url)


if __name__ == "__main__":
    main()
