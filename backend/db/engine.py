"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.settings import Settings

__all__ = ["Database"]


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for every transaction.

    Python's sqlite3 module opens transactions lazily and implicitly; we take that
    over so that a transaction holds the write lock from its start. SQLite allows
    one writer at a time: a deferred transaction that read first and then writes
    would fail at once with SQLITE_BUSY instead of waiting for the busy timeout.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("lantern_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """The engine and session factory of one process."""

    def __init__(self, settings: Settings) -> None:
        url = settings.effective_database_url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"hide_parameters": True}  # never put bound values in errors/logs
        if ":memory:" not in url:
            kwargs["pool_timeout"] = settings.db_pool_timeout_seconds
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": settings.sqlite_busy_timeout_ms / 1000}
            # One connection per concurrent request: a smaller pool kept opening and
            # closing connections (and their threads) under 20 concurrent clients.
            if ":memory:" not in url:  # an in-memory database has one static connection
                # Each aiosqlite connection is a thread; overflow connections are closed
                # on return, so a pool smaller than the concurrency churns threads.
                kwargs.update(pool_size=max(32, settings.db_pool_size), max_overflow=32)
        else:
            # No pre-ping: it cost three round trips per checkout. Connections are
            # recycled instead, and a dead one fails its request (the client retries).
            kwargs.update(pool_size=settings.db_pool_size, pool_recycle=1800)
        self.engine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, settings.sqlite_busy_timeout_ms)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        #: SQLite has one writer: writers of this process queue here, in order,
        #: instead of polling SQLite's busy handler (which serves them in no order).
        self.write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        # Reads: on SQLite a deferred BEGIN (no write lock; WAL gives a snapshot);
        # on PostgreSQL a read-only, repeatable-read transaction (one snapshot, and
        # a route declared as a read that tried to write would fail loudly).
        read_options: dict[str, Any] = {"lantern_read_only": True}
        if not self.is_sqlite:
            read_options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        self.read_sessionmaker = async_sessionmaker(
            self.engine.execution_options(**read_options), expire_on_commit=False
        )

    def session(self) -> AsyncSession:
        """A new session; the caller owns its transaction."""
        return self.sessionmaker()

    def read_session(self) -> AsyncSession:
        """A session for reads only: on SQLite it does not take the write lock."""
        return self.read_sessionmaker()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
