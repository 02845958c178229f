"""Migrations run from empty to head and back on both databases; models match them."""

from __future__ import annotations

import asyncio
import datetime as dt
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


async def _run(
    url: str, sql: str, params: dict[str, object] | None = None
) -> list[tuple[object, ...]]:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        result = await conn.execute(text(sql), params or {})
        rows = [tuple(r) for r in result] if result.returns_rows else []
    await engine.dispose()
    return rows


def test_a_cases_assignee_moves_from_its_facets_to_its_column(empty_database_url: str) -> None:
    """0007 fills ``sync_records.assigned_to`` from the facets of cases synced before it."""
    upgrade(empty_database_url, "0003")
    user, operation, case = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    sqlite = empty_database_url.startswith("sqlite")

    def uid(value: uuid.UUID) -> str:
        return value.hex if sqlite else str(value)

    now: object = "2026-11-30 08:00:00" if sqlite else dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    asyncio.run(
        _run(
            empty_database_url,
            "INSERT INTO users (id, username, password_hash, role, created_at, password_changed_at)"
            " VALUES (:id, 'fake-migrator', 'x', 'caseworker', :now, :now)",
            {"id": uid(user), "now": now},
        )
    )
    asyncio.run(
        _run(
            empty_database_url,
            "INSERT INTO operations (id, name, country, site, created_by, created_at)"
            " VALUES (:id, 'Fake Op', 'KH', 'Fake Site', :user, :now)",
            {"id": uid(operation), "user": uid(user), "now": now},
        )
    )
    asyncio.run(
        _run(
            empty_database_url,
            "INSERT INTO sync_records (id, entity, case_id, operation_id, created_by,"
            " created_by_mutation, rev, schema_version, body, field_revs, facets, deleted,"
            " created_at, updated_at) VALUES (:id, 'case', :id, :op, :user, :id, 1, 1, :body,"
            " '{}', :facets, false, :now, :now)",
            {
                "id": uid(case),
                "op": uid(operation),
                "user": uid(user),
                "body": b"L1",
                "facets": f'{{"assigned_to":"{user}"}}',
                "now": now,
            },
        )
    )
    upgrade(empty_database_url)
    rows = asyncio.run(_run(empty_database_url, "SELECT assigned_to FROM sync_records"))
    assert [str(uuid.UUID(str(r[0]))) for r in rows] == [str(user)]
