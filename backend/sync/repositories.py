"""Every query of sync: records, data keys, the change log, outcomes, conflicts, quarantine."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import uuid
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Select,
    Table,
    Uuid,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import case as sa_case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from backend.access.policy import PhoneScope
from backend.db.base import utcnow
from backend.db.models import (
    Change,
    Conflict,
    Counter,
    DataKey,
    Mutation,
    OperationMember,
    Quarantined,
    Record,
    ServerState,
)
from backend.db.outbox import CommitStage
from backend.db.statements import dialect_insert, insert_if_absent, rowcount

__all__ = [
    "CHANGE_BUFFER",
    "CHANGE_LOG_STAGE",
    "ChangeDraft",
    "PageRow",
    "RecordBrief",
    "SyncRepository",
    "seal_changes",
]

_CHANGES = cast(Table, Change.__table__)
_KEYS = cast(Table, DataKey.__table__)
_MUTATIONS = cast(Table, Mutation.__table__)
_RECORDS = cast(Table, Record.__table__)

#: Beyond any change number (a page with no upper bound).
_NO_LIMIT = 2**62


def _page_query(scope: PhoneScope, branch: str) -> Select[Any]:
    """One branch of pull's page query, built once (building it cost more than running it).

    A page is read branch by branch: the changes of one operation (all devices
    of its members), or the changes aimed at one user. Each branch walks its
    index in change order and stops at the page's size; one query over all of
    them with ``OR`` made SQLite collect and sort every change after the cursor.
    """
    records, cases = _RECORDS.alias("r"), _RECORDS.alias("k")
    changes, record, case = _CHANGES.c, records.c, cases.c
    user_id = bindparam("user_id", type_=Uuid())
    mine = (
        and_(
            changes.operation_id == bindparam("operation_id", type_=Uuid()),
            changes.target_user.is_(None),
        )
        if branch == "operation"
        else and_(
            changes.target_user == user_id,
            # Aimed at one user, and only while they belong to its operation.
            changes.operation_id.in_(bindparam("operations", expanding=True)),
        )
    )
    query = (
        select(
            changes.seq,
            changes.entity,
            changes.record_id,
            changes.op,
            changes.rev,
            record.entity,
            record.case_id,
            record.rev,
            record.deleted,
            record.facets,
        )
        .select_from(
            _CHANGES.outerjoin(records, record.id == changes.record_id).outerjoin(
                cases, case.id == record.case_id
            )
        )
        .where(
            mine,
            changes.seq > bindparam("after"),
            changes.seq <= bindparam("up_to"),
            changes.entity != "account",  # no phone holds an account (access.policy.phone_view)
        )
    )
    if scope == "operation":
        query = query.add_columns(literal(True), record.body)
    else:
        holds = or_(case.created_by == user_id, case.assigned_to == user_id)
        query = query.add_columns(holds, sa_case((holds, record.body))).where(
            or_(
                changes.op == "purge",
                and_(
                    record.entity != "account",
                    case.id.is_not(None),
                    or_(record.entity == "case", holds),
                ),
            )
        )
    return query.order_by(changes.seq).limit(bindparam("limit"))


_PAGE_QUERIES: dict[tuple[str, str], Select[Any]] = {
    (scope, branch): _page_query(scope, branch)
    for scope in ("operation", "own")
    for branch in ("operation", "user")
}

#: ``session.info`` key under which a transaction's changes wait for their numbers.
CHANGE_BUFFER = "lantern.sync.changes"


class ChangeBuffer:
    """A transaction's changes waiting for their numbers (rewound by savepoints)."""

    __slots__ = ("drafts",)

    def __init__(self) -> None:
        self.drafts: list[ChangeDraft] = []

    def mark(self) -> int:
        """How many changes are buffered."""
        return len(self.drafts)

    def rewind(self, mark: int) -> None:
        """Forget the changes a rolled-back savepoint made."""
        del self.drafts[mark:]


class ChangeDraft:
    """A change waiting for its number, given when its transaction commits."""

    __slots__ = ("entity", "op", "operation_id", "record_id", "rev", "target_user")

    def __init__(
        self,
        *,
        entity: str,
        record_id: uuid.UUID,
        operation_id: uuid.UUID,
        rev: int,
        op: str,
        target_user: uuid.UUID | None = None,
    ) -> None:
        self.entity = entity
        self.record_id = record_id
        self.operation_id = operation_id
        self.rev = rev
        self.op = op
        self.target_user = target_user


def _discard_changes(session: Session) -> None:
    """A rolled-back transaction changed nothing: its changes are not logged."""
    session.info.pop(CHANGE_BUFFER, None)


def seal_changes(session: Session) -> None:
    """Number a transaction's changes and write them, as its last statements.

    The counter row is updated (and so locked) only here, just before commit,
    and stays locked until the commit: change numbers are handed out in commit
    order, so a reader that saw number *n* committed will never later find a
    committed change below *n*. Runs inside the session's ``before_commit``.
    """
    buffer: ChangeBuffer | None = session.info.pop(CHANGE_BUFFER, None)
    if buffer is None or not buffer.drafts:
        return
    drafts = buffer.drafts
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    top = session.execute(
        insert(Counter)
        .values(name="changes", value=len(drafts))
        .on_conflict_do_update(
            index_elements=[Counter.name], set_={"value": Counter.value + len(drafts)}
        )
        .returning(Counter.value)
    ).scalar_one()
    now = utcnow()
    first = int(top) - len(drafts) + 1
    session.execute(
        insert(_CHANGES),
        [
            {
                "seq": first + n,
                "entity": d.entity,
                "record_id": d.record_id,
                "operation_id": d.operation_id,
                "rev": d.rev,
                "op": d.op,
                "target_user": d.target_user,
                "at": now,
            }
            for n, d in enumerate(drafts)
        ],
    )


#: The change log's commit stage (installed at start-up by ``backend.app``).
CHANGE_LOG_STAGE = CommitStage(name="change log", write=seal_changes, discard=_discard_changes)


class RecordBrief(NamedTuple):
    """A record's placement and ownership, without its body."""

    id: uuid.UUID
    entity: str
    case_id: uuid.UUID
    operation_id: uuid.UUID
    created_by: uuid.UUID
    facets: str


class PageRow(NamedTuple):
    """One change of a pull page, joined to its record (``None`` where the record is gone)."""

    seq: int
    entity: str
    record_id: uuid.UUID
    op: str
    rev: int
    record_entity: str | None
    case_id: uuid.UUID | None
    record_rev: int | None
    deleted: bool | None
    facets: str | None
    full: bool | None
    body: bytes | None


class SyncRepository:
    """Records and everything sync keeps beside them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- changes ----------------------------------------------------------------------

    def log_change(self, draft: ChangeDraft) -> None:
        """Buffer a change; it is numbered and written when the transaction commits."""
        buffer = self.session.info.get(CHANGE_BUFFER)
        if buffer is None:
            buffer = self.session.info[CHANGE_BUFFER] = ChangeBuffer()
        buffer.drafts.append(draft)

    async def states(self, *keys: str) -> dict[str, str]:
        """Values of ``server_state``, in one statement."""
        result = await self.session.execute(
            select(ServerState.key, ServerState.value).where(ServerState.key.in_(keys))
        )
        return {str(key): str(value) for key, value in result}

    async def page(
        self,
        *,
        after: int,
        up_to: int | None,
        operations: Collection[uuid.UUID],
        user_id: uuid.UUID,
        scope: PhoneScope,
        limit: int,
    ) -> list[PageRow]:
        """A page of changes in a device's scope, with what rendering them needs, oldest first.

        One statement per branch (each operation, and what is aimed at the
        caller alone), columns only, merged in change order: each change with
        its record and the record's case. ``scope`` is the caller's from ``access.policy.phone_scope``:
        ``own`` holds in full the cases the caller created or was assigned, only
        the case row (facets) of the others, and never an account; the rows it
        may not hold are left out here, in SQL, and so is their body.
        """
        if scope == "nothing":
            return []
        params: dict[str, Any] = {
            "after": after,
            "up_to": up_to if up_to is not None else _NO_LIMIT,
            "user_id": user_id,
            "limit": limit,
        }
        branches = [
            await self.session.execute(
                _PAGE_QUERIES[scope, "user"], {**params, "operations": sorted(operations)}
            ),
            *[
                await self.session.execute(
                    _PAGE_QUERIES[scope, "operation"], {**params, "operation_id": operation}
                )
                for operation in sorted(operations)
            ],
        ]
        rows = heapq.merge(*(list(branch) for branch in branches), key=lambda row: row[0])
        return [PageRow._make(row) for row in itertools.islice(rows, limit)]

    async def wrapped_keys(
        self, owners: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[bytes, str]]:
        """Wrapped data keys by owner, columns only."""
        if not owners:
            return {}
        keys = _KEYS.c
        result = await self.session.execute(
            select(keys.owner_id, keys.wrapped, keys.master_key_id).where(
                keys.owner_id.in_(list(owners))
            )
        )
        return {owner: (wrapped, kid) for owner, wrapped, kid in result}

    async def state(self, key: str) -> str | None:
        """A value of ``server_state``."""
        value = await self.session.scalar(select(ServerState.value).where(ServerState.key == key))
        return None if value is None else str(value)

    async def set_state(self, key: str, value: str) -> None:
        """Set a value of ``server_state``."""
        statement = (
            dialect_insert(self.session)(ServerState)
            .values(key=key, value=value)
            .on_conflict_do_update(index_elements=[ServerState.key], set_={"value": value})
        )
        await self.session.execute(statement)

    async def compact(self, *, before: dt.datetime) -> tuple[int, int]:
        """Delete change rows older than ``before`` that a later row of the same record supersedes.

        A device pulling from any cursor still gets every record's latest
        change; tombstones stay (a deleted record's last row is never superseded).

        Returns:
            How many rows were deleted, and the highest number among them (0 if none).
        """
        later = aliased(Change)
        superseded = select(Change.seq).where(
            Change.at < before,
            select(later.seq)
            .where(later.record_id == Change.record_id, later.seq > Change.seq)
            .exists(),
        )
        top = await self.session.scalar(select(func.max(superseded.subquery().c.seq)))
        result = await self.session.execute(delete(Change).where(Change.seq.in_(superseded)))
        return rowcount(result), int(top or 0)

    async def last_seq(self) -> int:
        """The highest change number committed so far."""
        value = await self.session.scalar(select(Counter.value).where(Counter.name == "changes"))
        return int(value or 0)

    # -- records and keys -------------------------------------------------------------

    async def record(self, record_id: uuid.UUID, *, for_update: bool = False) -> Record | None:
        """One record; locked until commit when it is about to change (PostgreSQL)."""
        query = select(Record).where(Record.id == record_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def records(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Record]:
        """Records by id."""
        if not ids:
            return {}
        result = await self.session.execute(select(Record).where(Record.id.in_(list(ids))))
        return {r.id: r for r in result.scalars()}

    async def children_of(self, case_id: uuid.UUID) -> list[Record]:
        """The live records of a case, the case itself excluded."""
        result = await self.session.execute(
            select(Record).where(
                Record.case_id == case_id, Record.id != case_id, Record.deleted.is_(False)
            )
        )
        return list(result.scalars())

    def add_record(self, record: Record) -> None:
        """Stage a new record."""
        self.session.add(record)

    async def briefs(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, RecordBrief]:
        """What a push needs to know of records that may exist: columns only, no ORM objects."""
        if not ids:
            return {}
        table = _RECORDS
        result = await self.session.execute(
            select(
                table.c.id,
                table.c.entity,
                table.c.case_id,
                table.c.operation_id,
                table.c.created_by,
                table.c.facets,
            ).where(table.c.id.in_(list(ids)))
        )
        return {row.id: RecordBrief(*row) for row in result}

    async def insert_outcomes(self, rows: list[dict[str, Any]]) -> int:
        """Store outcomes in one statement; how many were stored (an id already taken is skipped)."""
        return await self._insert_new(_MUTATIONS, "mutation_id", rows)

    async def insert_records(
        self, keys: list[dict[str, Any]], records: list[dict[str, Any]]
    ) -> int:
        """Store new data keys and records in one statement each; how many records were stored."""
        if keys:
            await self.session.execute(insert(_KEYS), sorted(keys, key=lambda r: r["owner_id"]))
        return await self._insert_new(_RECORDS, "id", records)

    async def _insert_new(self, table: Table, key: str, rows: list[dict[str, Any]]) -> int:
        """Insert rows whose key is free, in one statement; how many were inserted.

        Rows go in key order, so concurrent batches lock in one order (no
        deadlock). PostgreSQL counts what ``RETURNING`` gives back: a row another
        transaction inserted first is skipped once that one commits. SQLite runs
        one writer at a time, so the driver's own ``executemany`` (no statement
        to build per row) and its row count suffice.
        """
        rows = sorted(rows, key=lambda r: r[key])
        statement = dialect_insert(self.session)(table).on_conflict_do_nothing()
        if self.session.get_bind().dialect.name == "postgresql":
            result = await self.session.execute(statement.returning(table.c[key]), rows)
            return len(result.all())
        return rowcount(await self.session.execute(statement, rows))

    async def data_keys(self, owners: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        """Wrapped data keys by owner (case) id."""
        if not owners:
            return {}
        result = await self.session.execute(
            select(DataKey).where(DataKey.owner_id.in_(list(owners)))
        )
        return {k.owner_id: k for k in result.scalars()}

    async def records_of_case(self, case_id: uuid.UUID) -> list[Record]:
        """Every record of a case, deleted ones and the case itself included."""
        result = await self.session.execute(select(Record).where(Record.case_id == case_id))
        return list(result.scalars())

    async def move_case_side_rows(self, case_id: uuid.UUID, to_operation: uuid.UUID) -> None:
        """Conflicts, quarantine and tombstones of a case follow it to another operation."""
        for model in (Conflict, Quarantined):
            await self.session.execute(
                update(model).where(model.case_id == case_id).values(operation_id=to_operation)
            )
        await self.session.execute(
            update(Record)
            .where(Record.case_id == case_id, Record.deleted.is_(True))
            .values(operation_id=to_operation)
        )

    async def shred(self, case_id: uuid.UUID, record_ids: Collection[uuid.UUID]) -> None:
        """Destroy a case's data key, and the conflicts and quarantined payloads of its records."""
        await self.session.execute(delete(DataKey).where(DataKey.owner_id == case_id))
        await self.session.execute(delete(Conflict).where(Conflict.case_id == case_id))
        await self.session.execute(
            delete(Quarantined).where(
                or_(Quarantined.case_id == case_id, Quarantined.record_id.in_(list(record_ids)))
            )
        )

    def add_data_key(self, key: DataKey) -> None:
        """Stage a new wrapped data key."""
        self.session.add(key)

    # -- durable outcomes ---------------------------------------------------------------

    async def outcomes(self, mutation_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Mutation]:
        """Stored outcomes of mutations seen before."""
        if not mutation_ids:
            return {}
        result = await self.session.execute(
            select(Mutation).where(Mutation.mutation_id.in_(list(mutation_ids)))
        )
        return {m.mutation_id: m for m in result.scalars()}

    async def record_outcome(
        self,
        mutation_id: uuid.UUID,
        *,
        device_id: uuid.UUID,
        user_id: uuid.UUID,
        entity: str,
        record_id: uuid.UUID,
        status: str,
        rev: int | None,
        result: str,
    ) -> bool:
        """Store a mutation's outcome unless its id is taken; false if it was (a duplicate).

        On PostgreSQL an insert racing another transaction's insert of the same
        id waits for it and then finds the row: exactly one of them keeps its work.
        """
        return await insert_if_absent(
            self.session,
            Mutation,
            mutation_id=mutation_id,
            device_id=device_id,
            user_id=user_id,
            entity=entity,
            record_id=record_id,
            status=status,
            rev=rev,
            result=result,
            received_at=utcnow(),
        )

    async def cached_record(self, record_id: uuid.UUID) -> Record | None:
        """A record, from this session's identity map when already loaded."""
        return await self.session.get(Record, record_id)

    async def waiting_among(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these record or case ids have mutations waiting for them."""
        if not ids:
            return set()
        listed = list(ids)
        result = await self.session.execute(
            select(Quarantined.record_id, Quarantined.case_id).where(
                Quarantined.status == "waiting",
                or_(Quarantined.record_id.in_(listed), Quarantined.case_id.in_(listed)),
            )
        )
        found: set[uuid.UUID] = set()
        for record_id, case_id in result:
            found.add(record_id)
            if case_id is not None:
                found.add(case_id)
        return found

    async def settle(
        self, mutation_id: uuid.UUID, *, status: str, rev: int | None, result: str
    ) -> None:
        """Store a mutation's outcome."""
        await self.session.execute(
            update(Mutation)
            .where(Mutation.mutation_id == mutation_id)
            .values(status=status, rev=rev, result=result)
        )

    # -- conflicts and quarantine -----------------------------------------------------

    def add_conflict(self, conflict: Conflict) -> None:
        """Stage a conflict."""
        self.session.add(conflict)

    async def conflicts(
        self, operations: Collection[uuid.UUID], *, status: str | None, limit: int, offset: int
    ) -> list[Conflict]:
        """Conflicts of these operations, oldest first."""
        query = select(Conflict).where(Conflict.operation_id.in_(list(operations)))
        if status is not None:
            query = query.where(Conflict.status == status)
        query = query.order_by(Conflict.created_at, Conflict.id).limit(limit).offset(offset)
        return list((await self.session.execute(query)).scalars())

    async def conflict(
        self, conflict_id: uuid.UUID, operations: Collection[uuid.UUID]
    ) -> Conflict | None:
        """One conflict, if it belongs to one of these operations."""
        result = await self.session.execute(
            select(Conflict).where(
                Conflict.id == conflict_id, Conflict.operation_id.in_(list(operations))
            )
        )
        return result.scalar_one_or_none()

    def add_quarantined(self, item: Quarantined) -> None:
        """Stage a quarantined mutation."""
        self.session.add(item)

    async def waiting_for(self, record_id: uuid.UUID) -> list[Quarantined]:
        """Mutations waiting for this record's create, in the order they arrived."""
        result = await self.session.execute(
            select(Quarantined)
            .where(Quarantined.record_id == record_id, Quarantined.status == "waiting")
            .order_by(Quarantined.created_at, Quarantined.id)
        )
        return list(result.scalars())

    async def waiting_for_case(self, case_id: uuid.UUID) -> list[Quarantined]:
        """Records of a case that arrived before the case itself."""
        result = await self.session.execute(
            select(Quarantined)
            .where(Quarantined.case_id == case_id, Quarantined.status == "waiting")
            .order_by(Quarantined.created_at, Quarantined.id)
        )
        return list(result.scalars())

    async def quarantine(
        self,
        operations: Collection[uuid.UUID],
        user_ids: Collection[uuid.UUID],
        *,
        status: str | None,
        limit: int,
        offset: int,
    ) -> list[Quarantined]:
        """Quarantined mutations of these operations.

        One that names no operation (an update of a record never seen) is shown
        to the coordinators of every operation its pusher belongs to, and to
        ``user_ids`` themselves.
        """
        members = select(OperationMember.user_id).where(
            OperationMember.operation_id.in_(list(operations))
        )
        scope = or_(
            Quarantined.operation_id.in_(list(operations)),
            and_(
                Quarantined.operation_id.is_(None),
                or_(Quarantined.user_id.in_(list(user_ids)), Quarantined.user_id.in_(members)),
            ),
        )
        query = select(Quarantined).where(scope)
        if status is not None:
            query = query.where(Quarantined.status == status)
        query = query.order_by(Quarantined.created_at, Quarantined.id).limit(limit).offset(offset)
        return list((await self.session.execute(query)).scalars())

    async def revisions_by_device(
        self, record_id: uuid.UUID, device_id: uuid.UUID, revs: Collection[int]
    ) -> set[int]:
        """Which of a record's revisions ``revs`` a mutation of this device made."""
        rows = await self.session.scalars(
            select(Mutation.rev).where(
                Mutation.record_id == record_id,
                Mutation.device_id == device_id,
                Mutation.rev.in_(list(revs)),
                Mutation.status.in_(("applied", "conflict")),
            )
        )
        return {int(rev) for rev in rows if rev is not None}

    async def quarantined(self, item_id: uuid.UUID) -> Quarantined | None:
        """One quarantined mutation."""
        return await self.session.get(Quarantined, item_id)
