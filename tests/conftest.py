"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when asked), keys, an app.

Every test runs against a real database. By default that is a fresh SQLite
file per test, copied from one migrated template. With
``LANTERN_TEST_DATABASE_URL=postgresql+asyncpg://…/test`` the same tests run on
PostgreSQL: the suite creates a database of its own on that server (marked by
a comment), migrates it once, empties every table after each test and drops it
at the end. It never empties or drops a database it did not create.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from backend.app import build_runtime, create_app
from backend.crypto.keys import create_key_file
from backend.db.base import Base
from backend.db.migrate import upgrade
from backend.runtime import Runtime
from backend.settings import Settings
from backend.users.services import UserService

SERVER_URL = os.environ.get("LANTERN_TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery-staple-7"  # synthetic; long enough for the policy

#: Every PostgreSQL database the suite works in is created by it, with this
#: comment; the suite refuses to empty or drop any database without it.
FIXTURE_MARK = "created by the Lantern test suite; safe to drop"
_PREFIX = "lantern_test_"


def _own_database_url() -> str | None:
    """A fresh database name on the server of ``LANTERN_TEST_DATABASE_URL``, per run."""
    if not SERVER_URL:
        return None
    name = f"{_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


#: The database this run owns (None on SQLite). Tests use this, never SERVER_URL.
PG_URL = _own_database_url()


def is_postgres() -> bool:
    """Whether this run is against PostgreSQL."""
    return bool(PG_URL)


async def _maintenance(sql: str) -> None:
    assert SERVER_URL
    engine = create_async_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def assert_owned(url: str) -> None:
    """Refuse to touch a database this suite did not create.

    Raises:
        RuntimeError: the database lacks the suite's mark (it may hold real data).
    """
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            comment = (
                await conn.execute(
                    text(
                        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                        "WHERE datname = current_database()"
                    )
                )
            ).scalar()
    finally:
        await engine.dispose()
    if comment != FIXTURE_MARK:
        raise RuntimeError(
            f"refusing to empty database {make_url(url).database!r}: the test suite did not create it"
        )


async def create_owned_database(url: str) -> None:
    """Create the run's database and mark it as the suite's own."""
    name = make_url(url).database
    assert name and name.startswith(_PREFIX)
    await _maintenance(f'CREATE DATABASE "{name}"')
    await _maintenance(f"COMMENT ON DATABASE \"{name}\" IS '{FIXTURE_MARK}'")


async def drop_owned_database(url: str) -> None:
    """Drop the run's database (only if it carries the suite's mark)."""
    await assert_owned(url)
    await _maintenance(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


async def _truncate_postgres(url: str) -> None:
    await assert_owned(url)
    # The change counter and the epoch are seeded by migration and only ever move on.
    kept = {"sync_counters", "server_state"}
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name not in kept)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        # The audit log refuses TRUNCATE by trigger; the suite empties its own database.
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment() -> Iterator[None]:
    """Keep a developer's LANTERN_* variables out of the tests."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("LANTERN_")}
    for key in saved:
        if key != "LANTERN_TEST_DATABASE_URL":
            del os.environ[key]
    yield
    os.environ.update(saved)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once: the PostgreSQL test database, or an SQLite template file."""
    if PG_URL:
        asyncio.run(create_owned_database(PG_URL))
        upgrade(PG_URL)
        yield PG_URL
        asyncio.run(drop_owned_database(PG_URL))
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    yield str(path)


@pytest.fixture
async def database_url(migrated_template: str, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database for one test."""
    if PG_URL:
        yield PG_URL
        await _truncate_postgres(PG_URL)
        return
    target = tmp_path / "lantern.db"
    shutil.copyfile(migrated_template, target)
    yield f"sqlite+aiosqlite:///{target}"


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    """Settings for tests: cheap argon2, no rate limits, a development key file."""
    key_file = tmp_path / "keys" / "lantern.key"
    if not key_file.exists():
        create_key_file(key_file, development=True)
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "key_file": key_file,
        "database_url": database_url,
        "argon2_time_cost": 1,
        "argon2_memory_cost_kib": 1024,
        "argon2_parallelism": 1,
        "rate_limit_per_minute": 0,
        "rate_limit_device_per_minute": 0,
        "log_level": "WARNING",
        "duplicates_match_seconds": 0,  # tests compare pending encodings when they mean to
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def runtime(settings: Settings) -> Runtime:
    return build_runtime(settings)


@pytest.fixture
def app(runtime: Runtime) -> Litestar:
    return create_app(runtime=runtime)


@asynccontextmanager
async def client_for(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling ``app`` in this event loop (asyncpg connections are loop-bound)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        try:
            yield client
        finally:
            await app.state.runtime.db.dispose()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as test_client:
        yield test_client


@dataclass
class Account:
    """A synthetic account made for a test."""

    id: uuid.UUID
    username: str
    role: str
    password: str = PASSWORD


class Accounts:
    """Makes accounts and signs them in."""

    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.client = client
        self._n = 0
        self.cached_admin_headers: dict[str, str] | None = None

    async def create(self, role: str, *, username: str | None = None) -> Account:
        self._n += 1
        name = username or f"test-{role}-{self._n}"
        async with self.runtime.db.session() as session, session.begin():
            user = await UserService(session, self.runtime).create(
                actor=None,
                username=name,
                password=PASSWORD,
                role=role,  # type: ignore[arg-type]
            )
        return Account(id=user.id, username=user.username, role=role)

    async def token(self, account: Account, *, device_id: uuid.UUID | None = None) -> str:
        body: dict[str, object] = {"username": account.username, "password": account.password}
        if device_id:
            body["device_id"] = str(device_id)
        response = await self.client.post("/api/v1/auth/token", json=body)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def headers(
        self, account: Account, *, device_id: uuid.UUID | None = None
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(account, device_id=device_id)}"}

    async def remember_admin(self) -> dict[str, str]:
        """Headers of one admin, made once per test (for property tests' many examples)."""
        _, self.cached_admin_headers = await self.signed_in("admin")
        return self.cached_admin_headers

    async def signed_in(
        self, role: str, *, device_id: uuid.UUID | None = None
    ) -> tuple[Account, dict[str, str]]:
        account = await self.create(role)
        return account, await self.headers(account, device_id=device_id)


@pytest.fixture
def accounts(runtime: Runtime, client: httpx.AsyncClient) -> Accounts:
    return Accounts(runtime, client)


@pytest.fixture
async def world(client: httpx.AsyncClient, accounts: Accounts, runtime: Runtime) -> Any:
    """A seeded operation with a real object behind every path parameter (tests/backend/world.py)."""
    from tests.backend.world import seed_world

    return await seed_world(client, accounts, runtime)


PROBLEM = "application/problem+json"


def assert_problem(response: object, status: int, slug: str) -> dict[str, object]:
    """Assert an RFC 9457 problem with this status and type; return its body."""
    resp = response  # httpx.Response
    assert resp.status_code == status, resp.text  # type: ignore[attr-defined]
    assert resp.headers["content-type"].startswith(PROBLEM), resp.headers  # type: ignore[attr-defined]
    body: dict[str, object] = resp.json()  # type: ignore[attr-defined]
    assert body["type"] == f"urn:lantern:problem:{slug}", body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    return body


@pytest.fixture
def settings_env(settings: Settings) -> dict[str, str]:
    """The test's settings as LANTERN_* variables, for the command line."""
    return {
        "LANTERN_DATA_DIR": str(settings.data_dir),
        "LANTERN_KEY_FILE": str(settings.effective_key_file),
        "LANTERN_DATABASE_URL": settings.effective_database_url,
        "LANTERN_ARGON2_TIME_COST": "1",
        "LANTERN_ARGON2_MEMORY_COST_KIB": "1024",
        "LANTERN_ARGON2_PARALLELISM": "1",
        "LANTERN_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def shipped_languages() -> list[str]:
    """Every language served, English first."""
    from backend.i18n.catalogs import available_languages

    return ["en", *[lang for lang in available_languages() if lang != "en"]]
