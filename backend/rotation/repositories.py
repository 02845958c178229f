"""Every query of key rotation: which rows hold a wrapped key, claiming batches, re-writing them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import DataKey, PersonEncoding, Quarantined

__all__ = [
    "KEY_REFERENCES",
    "WRAPPED_KEY_TABLES",
    "Claimed",
    "RotationRepository",
    "WrappedKeyTable",
]


@dataclass(frozen=True, slots=True)
class WrappedKeyTable:
    """A table whose rows each hold a data key wrapped under a master key."""

    name: str
    model: Any
    owner: Any  # the column naming the key's owner (its associated data)
    wrapped: Any
    master_key_id: Any


#: Every place a wrapped data key is stored. A new one must be added here, or
#: rotation would leave it under an old master key (and retiring that key
#: would then refuse, because :meth:`RotationRepository.usage` counts it).
WRAPPED_KEY_TABLES: tuple[WrappedKeyTable, ...] = (
    WrappedKeyTable(
        name="data_keys",
        model=DataKey,
        owner=DataKey.owner_id,
        wrapped=DataKey.wrapped,
        master_key_id=DataKey.master_key_id,
    ),
    WrappedKeyTable(
        name="sync_quarantine",
        model=Quarantined,
        owner=Quarantined.id,
        wrapped=Quarantined.wrapped_key,
        master_key_id=Quarantined.master_key_id,
    ),
)


#: Tables that name a master key per row without holding a wrapped key: keyed
#: encodings, re-made from the decrypted cases (``lantern duplicates scan``),
#: not re-wrapped. Counted, so a key they still use is never retired.
KEY_REFERENCES: tuple[tuple[str, Any], ...] = (("person_encodings", PersonEncoding.master_key_id),)


@dataclass(frozen=True, slots=True)
class Claimed:
    """One claimed row: whose key, wrapped how, under which master key."""

    owner: uuid.UUID
    wrapped: bytes
    master_key_id: str


class RotationRepository:
    """Reads and re-writes wrapped keys; other key-bearing tables are counted only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def usage(self) -> dict[str, dict[str, int]]:
        """Rows per master key id, per table, of every table that names a master key."""
        columns = [(t.name, t.master_key_id) for t in WRAPPED_KEY_TABLES] + list(KEY_REFERENCES)
        found: dict[str, dict[str, int]] = {}
        for name, column in columns:
            rows = await self.session.execute(select(column, func.count()).group_by(column))
            for key_id, count in rows:
                found.setdefault(str(key_id), {})[name] = int(count)
        return found

    async def claim(
        self,
        table: WrappedKeyTable,
        *,
        target: str,
        after: uuid.UUID | None,
        skip: Collection[uuid.UUID],
        limit: int,
    ) -> list[Claimed]:
        """Lock up to ``limit`` rows not under ``target``, in owner order after ``after``.

        On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``, so
        workers running at once take disjoint batches and never wait for each
        other; on SQLite the write transaction already holds the database's
        write lock (the clause is not rendered there).
        """
        stmt = select(table.owner, table.wrapped, table.master_key_id).where(
            table.master_key_id != target
        )
        if after is not None:
            stmt = stmt.where(table.owner > after)
        if skip:
            stmt = stmt.where(table.owner.not_in(list(skip)))
        stmt = stmt.order_by(table.owner).limit(limit).with_for_update(skip_locked=True)
        rows = await self.session.execute(stmt)
        return [Claimed(owner=o, wrapped=w, master_key_id=k) for o, w, k in rows]

    async def rewrite(
        self, table: WrappedKeyTable, rows: Sequence[tuple[Claimed, bytes, str]]
    ) -> int:
        """Store each row's new wrapping (one statement, executed for every row).

        The rows were claimed in this transaction (locked on PostgreSQL; the
        write lock on SQLite), so none can have changed since; the statement
        still names the master key each was read under.
        """
        if not rows:
            return 0
        core = table.model.__table__
        owner, wrapped, key_id = (
            core.c[c.key] for c in (table.owner, table.wrapped, table.master_key_id)
        )
        statement = (
            update(core)
            .where(owner == bindparam("b_owner"), key_id == bindparam("b_old"))
            .values({wrapped.key: bindparam("b_wrapped"), key_id.key: bindparam("b_new")})
        )
        await self.session.execute(
            statement,
            [
                {"b_owner": c.owner, "b_old": c.master_key_id, "b_wrapped": w, "b_new": k}
                for c, w, k in rows
            ],
        )
        return len(rows)
