"""A migrated throwaway database with its own key file, for in-process benchmarks."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from backend.crypto.keys import create_key_file
from backend.db.migrate import upgrade
from backend.settings import Settings
from bench.server_bench import postgres_database


@contextlib.contextmanager
def _database(url: str | None, directory: Path) -> Iterator[str]:
    if url is None:
        yield f"sqlite+aiosqlite:///{directory / 'bench.db'}"
        return
    with postgres_database(url) as made:
        yield made


@contextlib.contextmanager
def throwaway_settings(url: str | None) -> Iterator[Settings]:
    """Settings for a migrated database made here and removed afterwards.

    Args:
        url: A PostgreSQL server URL (``lantern_bench_<random>`` is created on
            it, and dropped), or ``None`` for SQLite in a temporary directory.
    """
    with tempfile.TemporaryDirectory() as tmp, _database(url, Path(tmp)) as database_url:
        key_file = Path(tmp) / "lantern.key"
        create_key_file(key_file, development=True)
        upgrade(database_url)
        yield Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=Path(tmp), key_file=key_file, database_url=database_url
        )
