"""Migrations run from empty to head and back on both databases; models match them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from backend.db.base import Base
from backend.db.migrate import downgrade, upgrade
from backend.runtime import Runtime
from tests.conftest import PG_URL, is_postgres

EXPECTED_TABLES = {t.name for t in Base.metadata.sorted_tables}


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _admin(sql: str) -> None:
    assert PG_URL
    engine = create_async_engine(
        make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database of the kind under test."""
    if not is_postgres():
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"lantern_migrations_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)  # type: ignore[arg-type]
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_upgrade_from_empty_then_downgrade_to_base_then_upgrade_again(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url)
    assert asyncio.run(_tables(empty_database_url)) == EXPECTED_TABLES
    downgrade(empty_database_url, "base")
    assert asyncio.run(_tables(empty_database_url)) == set()
    upgrade(empty_database_url)
    assert asyncio.run(_tables(empty_database_url)) == EXPECTED_TABLES


async def test_models_and_migrations_agree(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert diff == []


@pytest.mark.skipif(is_postgres(), reason="SQLite pragmas")
async def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(runtime: Runtime) -> None:
    async with runtime.db.session() as session:
        journal = (await session.execute(text("PRAGMA journal_mode"))).scalar()
        foreign_keys = (await session.execute(text("PRAGMA foreign_keys"))).scalar()
        busy = (await session.execute(text("PRAGMA busy_timeout"))).scalar()
    assert journal == "wal"
    assert foreign_keys == 1
    assert busy == runtime.settings.sqlite_busy_timeout_ms


async def test_foreign_keys_are_enforced(runtime: Runtime) -> None:
    from sqlalchemy.exc import IntegrityError

    from backend.db.models import OperationMember

    with pytest.raises(IntegrityError):
        async with runtime.db.session() as session, session.begin():
            session.add(
                OperationMember(
                    operation_id=uuid.uuid4(), user_id=uuid.uuid4(), added_by=uuid.uuid4()
                )
            )
