"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) of the server.

Prints, per thread kind, the share of samples, then the functions with the
largest inclusive share (counted once per stack) and self share.

Usage: python -m bench.profile_summary PROFILE.txt [--top 30] [--match TEXT]
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

_THREAD = re.compile(r"^thread \(\d+\): ([^;]*?)(?: \(.*\))?$")
_LINE = re.compile(r" \([^()]*:\d+\)$")


def _frame(raw: str) -> str:
    """``func (path:line)`` → ``func (path)``: lines of one function are one entry."""
    return _LINE.sub(lambda m: m.group(0).rsplit(":", 1)[0] + ")", raw)


#: (category, substring of a frame), tried from the innermost frame outwards.
BUCKETS: tuple[tuple[str, str], ...] = (
    ("aiosqlite: hand-off to the connection thread", "aiosqlite/"),
    ("SQLAlchemy pool checkout / checkin", "sqlalchemy/pool/"),
    ("SQLAlchemy: statement cache key", "sqlalchemy/sql/cache_key"),
    ("SQLAlchemy: compile", "sqlalchemy/sql/compiler"),
    ("SQLAlchemy: rows to ORM objects", "sqlalchemy/orm/loading"),
    ("SQLAlchemy: rows to ORM objects", "sqlalchemy/engine/result"),
    ("SQLAlchemy: rows to ORM objects", "sqlalchemy/engine/cursor"),
    ("SQLAlchemy: building statements (select/where/join)", "sqlalchemy/sql/"),
    ("SQLAlchemy: events", "sqlalchemy/event/"),
    ("SQLAlchemy: asyncio greenlet bridge", "sqlalchemy/util/concurrency"),
    ("SQLAlchemy: asyncio greenlet bridge", "sqlalchemy/ext/asyncio"),
    ("SQLAlchemy: session, transaction, engine", "sqlalchemy/"),
    ("asyncpg", "asyncpg/"),
    ("Lantern: keys, HMAC", "backend/crypto"),
    ("Lantern: audit", "backend/audit"),
    ("Lantern: sessions (db/session.py, engine.py)", "backend/db/"),
    ("Litestar: routing, DI, guards, responses", "litestar/"),
    ("anyio", "anyio/"),
    ("Lantern: middleware and handlers", "backend/"),
    ("uvicorn / httptools", "uvicorn/"),
    ("asyncio event loop", "asyncio/"),
)


def bucket(names: list[str]) -> str:
    for name in reversed(names):
        for category, needle in BUCKETS:
            if needle in name:
                return category
    return "other"


def summarise(path: Path, top: int, match: str | None) -> None:
    threads: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    buckets: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = _THREAD.match(frames[0])
        kind = re.sub(r"-\d+", "-N", thread.group(1)) if thread else frames[0]
        threads[kind] += count
        total += count
        names = [_frame(f) for f in frames[1:]]
        if match and not any(match in n for n in names):
            continue
        for name in set(names):
            inclusive[name] += count
        if names:
            own[names[-1]] += count
        buckets[bucket(names)] += count
    print(f"{path.name}: {total} samples")
    for kind, n in threads.most_common():
        print(f"  {n / total:6.1%}  thread {kind}")
    print("by category (innermost matching frame):")
    for name, n in buckets.most_common():
        print(f"  {n / total:6.1%}  {name}")
    print("inclusive (share of all samples):")
    for name, n in inclusive.most_common(top):
        print(f"  {n / total:6.1%}  {name}")
    print("self:")
    for name, n in own.most_common(top):
        print(f"  {n / total:6.1%}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default=None, help="only stacks with a frame containing this")
    args = parser.parse_args()
    summarise(args.profile, args.top, args.match)


if __name__ == "__main__":
    main()
