"""Every query of key rotation: which rows name a master key, claiming batches, re-writing them.

Which columns name a master key is read from the models, not written here:
a column marked ``info={"names_master_key": STEP}`` is counted by
:meth:`RotationRepository.usage`, and ``STEP`` says what moves its rows to
the active key (see :data:`STEPS`). A test walks ``Base.metadata`` and every
table's stored values, so a new column holding a key id cannot go unmarked.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import Column, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.crypto.keys import KeyPurpose
from backend.db.base import Base
from backend.db.models import DataKey, Investigation, LinkedDisclosure, Quarantined, Record

__all__ = [
    "MARK",
    "STEPS",
    "UNRECORDED",
    "WRAPPED_KEY_TABLES",
    "Claimed",
    "KeyColumn",
    "KeyStep",
    "RotationRepository",
    "WrappedKeyTable",
    "key_columns",
]

#: The ``Column.info`` key that marks a column holding a master key id.
MARK = "names_master_key"

#: What moves a marked column's rows off an old master key.
KeyStep = Literal["rewrap", "duplicates-scan", "sign-in-again", "kept"]


@dataclass(frozen=True, slots=True)
class _Step:
    #: The command that clears the rows, if one does.
    command: str | None
    #: Whether rows naming a key hold back its retirement and destruction.
    blocks: bool
    #: What happens to the rows when the key is destroyed (for those that do not block).
    meaning: str


STEPS: dict[KeyStep, _Step] = {
    "rewrap": _Step("lantern keys rewrap", True, "re-wrapped or re-tagged under the active key"),
    "duplicates-scan": _Step(
        "lantern duplicates scan", True, "re-encoded under the active key from the cases"
    ),
    "sign-in-again": _Step(
        None, False, "tokens hashed under a destroyed key stop working; their owners sign in"
    ),
    "kept": _Step(None, False, "the key file keeps the audit-chain key of a destroyed key"),
}

#: How ``usage`` reports rows whose key id was never written down (older rows).
UNRECORDED = "(unrecorded)"


@dataclass(frozen=True, slots=True)
class KeyColumn:
    """One column that names a master key, and the step that moves its rows to a new one."""

    table: str
    column: Column[Any]
    step: KeyStep

    @property
    def blocks(self) -> bool:
        """Whether rows naming a key hold back its retirement and destruction."""
        return STEPS[self.step].blocks

    @property
    def command(self) -> str | None:
        """The command that clears the rows naming an old key."""
        return STEPS[self.step].command


def key_columns() -> tuple[KeyColumn, ...]:
    """Every column of the models marked as naming a master key, table by table.

    Raises:
        ValueError: a mark names no known step, or one table has two marks.
    """
    found: list[KeyColumn] = []
    for table in Base.metadata.sorted_tables:
        marked = [c for c in table.columns if MARK in c.info]
        if len(marked) > 1:
            raise ValueError(f"{table.name} has {len(marked)} columns naming a master key")
        for column in marked:
            step = column.info[MARK]
            if step not in get_args(KeyStep):
                raise ValueError(f"{table.name}.{column.name}: unknown step {step!r}")
            found.append(KeyColumn(table=table.name, column=column, step=step))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class WrappedKeyTable:
    """A table whose rows each hold a key wrapped under a master key."""

    name: str
    model: Any
    owner: Any  # the column naming the key's owner (its associated data)
    wrapped: Any
    master_key_id: Any
    #: A row whose ``wrapped`` is empty holds the key derived for this purpose
    #: from the master key it names, with the owner id as context (an
    #: investigation opened before its key was wrapped): rotation wraps it.
    derived: KeyPurpose | None = None


#: How each column marked ``rewrap`` that holds a wrapped key is re-wrapped
#: (the linkage index, also marked ``rewrap``, is re-tagged instead; a test
#: proves every marked column is covered by one or the other).
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
    WrappedKeyTable(
        name="investigations",
        model=Investigation,
        owner=Investigation.id,
        wrapped=Investigation.wrapped_key,
        master_key_id=Investigation.key_id,
        derived="pseudonym-case-reference",
    ),
)

#: The table whose lookup tags rotation makes again under the active key.
RETAGGED_TABLE = LinkedDisclosure.__tablename__


@dataclass(frozen=True, slots=True)
class Claimed:
    """One claimed row: whose key, wrapped how (None: derived), under which master key."""

    owner: uuid.UUID
    wrapped: bytes | None
    master_key_id: str


class RotationRepository:
    """Counts what names each master key; re-writes wrapped keys and stale lookup tags."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def usage(self) -> dict[str, dict[str, int]]:
        """Rows per master key id, per table, of every column marked as naming one."""
        found: dict[str, dict[str, int]] = {}
        for marked in key_columns():
            column = marked.column
            rows = await self.session.execute(select(column, func.count()).group_by(column))
            for key_id, count in rows:
                name = UNRECORDED if key_id is None else str(key_id)
                found.setdefault(name, {})[marked.table] = int(count)
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

    async def stale_tagged(
        self, *, target: str, after: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]:
        """Records (after ``after``, in id order) with linkage rows not tagged under ``target``."""
        rows = LinkedDisclosure
        stmt = select(rows.record_id).where(or_(rows.key_id.is_(None), rows.key_id != target))
        if after is not None:
            stmt = stmt.where(rows.record_id > after)
        stmt = stmt.group_by(rows.record_id).order_by(rows.record_id).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def records_for_update(self, ids: Collection[uuid.UUID]) -> list[Record]:
        """These records, locked until the transaction ends (a push waits, then re-projects)."""
        if not ids:
            return []
        stmt = select(Record).where(Record.id.in_(list(ids))).order_by(Record.id)
        return list((await self.session.execute(stmt.with_for_update())).scalars())

    async def data_keys(self, owners: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        """The wrapped data keys of these cases."""
        if not owners:
            return {}
        stmt = select(DataKey).where(DataKey.owner_id.in_(list(owners)))
        return {k.owner_id: k for k in (await self.session.execute(stmt)).scalars()}
