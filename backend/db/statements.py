"""Dialect-aware statements that repositories share."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import Base

__all__ = ["dialect_insert", "insert_if_absent", "rowcount"]


def dialect_insert(session: AsyncSession) -> Any:
    """The ``insert`` construct of the session's dialect (for ON CONFLICT clauses)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_if_absent(session: AsyncSession, model: type[Base], **values: Any) -> bool:
    """Insert a row unless one with the same key exists; race-free. Returns whether it inserted."""
    statement = dialect_insert(session)(model).values(**values).on_conflict_do_nothing()
    return bool(rowcount(await session.execute(statement)))


def rowcount(result: Any) -> int:
    """Rows an UPDATE, DELETE or INSERT touched (0 where the driver cannot tell)."""
    return int(getattr(result, "rowcount", 0) or 0)
