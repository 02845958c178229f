"""Every row of every table, to prove that a refused request wrote nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backend.db.base import Base
from backend.runtime import Runtime

__all__ = ["database_snapshot"]


def _value(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


async def database_snapshot(runtime: Runtime, *, ignore: frozenset[str] = frozenset()) -> Any:
    """Each table's rows, sorted, as plain tuples (columns named in ``ignore`` left out).

    ``ignore`` holds ``table.column`` names that move on every authenticated
    request (a token's last use), not because of what a request asked for.
    """
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with runtime.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if f"{table.name}.{c.name}" not in ignore]
            rows = (await conn.execute(select(*columns))).all()
            tables[table.name] = sorted(
                (tuple(repr(_value(v)) for v in row) for row in rows), key=repr
            )
    return tables
