"""The transaction boundary, and the one runner of a failed request's side effects.

One request, one transaction, committed by nobody but this module: services
never commit. Each route declares once whether it reads or writes
(``opt=READS`` or ``opt=WRITES``); a read gets a deferred transaction that
never takes SQLite's write lock (a read-only, repeatable-read one on
PostgreSQL). Audit events recorded while reading are appended after the read
transaction ends, in a short write transaction of their own.

Work that must outlive the rollback of a failed request (the audit entry of a
denial, a failed sign-in's counter) rides on the error as ``side_effects``.
The exception handler hands them to :func:`defer_side_effects`, and
:func:`settle_side_effects` runs them, in a transaction of their own, before
the answer leaves the server.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, Protocol, runtime_checkable

from litestar import Request
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.engine import Database
from backend.errors import SideEffect

__all__ = [
    "AFTER_READ",
    "AUDIT_BUFFER",
    "READS",
    "WRITES",
    "Rewindable",
    "Transaction",
    "defer_side_effects",
    "provide_db_session",
    "run_side_effects",
    "savepoint",
    "settle_side_effects",
]

logger = logging.getLogger("lantern.db")

Transaction = Literal["read", "write"]

#: Route option: the handler only reads (no write lock; audit appended afterwards).
READS: dict[str, Any] = {"transaction": "read"}
#: Route option: the handler writes.
WRITES: dict[str, Any] = {"transaction": "write"}

#: ``session.info`` key under which the audit log buffers a transaction's events.
AUDIT_BUFFER = "lantern.audit.buffer"
#: ``session.info`` key marking a read-only session (its events are carried over).
READ_ONLY = "lantern.read_only"
#: Prefix of ``session.info`` keys whose buffered writes a read transaction hands
#: on to the write transaction that appends its audit (e.g. what an investigation reached).
AFTER_READ = "lantern.after_read."

_pending: contextvars.ContextVar[list[SideEffect] | None] = contextvars.ContextVar(
    "lantern_pending_side_effects", default=None
)
_shared_read: contextvars.ContextVar[AsyncSession | None] = contextvars.ContextVar(
    "lantern_shared_read_session", default=None
)


async def run_side_effects(db: Database, effects: Sequence[SideEffect]) -> None:
    """Run ``effects`` in one transaction of their own, and commit it."""
    async with write_transaction(db) as session:
        for effect in effects:
            await effect(session)


def defer_side_effects(effects: Sequence[SideEffect]) -> None:
    """Queue a failed request's side effects to run before its answer is sent."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("side effects deferred outside a request")
    pending.extend(effects)


async def settle_side_effects(
    db: Database, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run ``app``; before its answer starts, run the side effects it deferred."""
    pending: list[SideEffect] = []
    token = _pending.set(pending)

    async def send_settled(message: Message) -> None:
        if message["type"] == "http.response.start" and pending:
            effects = list(pending)
            pending.clear()
            try:
                await run_side_effects(db, effects)
            except Exception as exc:
                # The refusal stands even if its record could not be written.
                logger.error(
                    "side effects of a failed request were not recorded",
                    extra={"exception_type": type(exc).__qualname__},
                )
        await send(message)

    try:
        await app(scope, receive, send_settled)
    finally:
        _pending.reset(token)


def _declared(request: Request[Any, Any, Any]) -> Transaction:
    declared = request.route_handler.opt.get("transaction")
    if declared not in ("read", "write"):
        raise RuntimeError(
            f"route {request.route_handler.handler_name} asks for a database session "
            "but does not declare opt=READS or opt=WRITES"
        )
    return declared  # type: ignore[no-any-return]


async def _carry_audit(db: Database, session: AsyncSession) -> None:
    """Append, in a write transaction, the audit events a read transaction recorded.

    Buffers under :data:`AFTER_READ` keys ride along (their owners write them
    before that transaction commits).
    """
    buffered = session.info.pop(AUDIT_BUFFER, None)
    carried = {k: session.info.pop(k) for k in list(session.info) if k.startswith(AFTER_READ)}
    if (buffered is None or not buffered.events) and not carried:
        return
    async with write_transaction(db) as writer:
        if buffered is not None:
            writer.info[AUDIT_BUFFER] = buffered
        writer.info.update(carried)


@asynccontextmanager
async def read_transaction(db: Database) -> AsyncIterator[AsyncSession]:
    """A read-only transaction; audit events it records are appended after it ends."""
    async with db.read_session() as session:
        session.info[READ_ONLY] = True
        async with session.begin():
            yield session
        await _carry_audit(db, session)


@asynccontextmanager
async def shared_read_transaction(db: Database) -> AsyncIterator[AsyncSession]:
    """One read transaction for a whole read request: authentication and handler share it.

    Opened around the request by the authentication middleware for routes
    declared ``READS``; the handler's ``db_session`` is this same session, so a
    read costs one transaction, not two.
    """
    async with read_transaction(db) as session:
        token = _shared_read.set(session)
        try:
            yield session
        finally:
            _shared_read.reset(token)


def shared_read_session() -> AsyncSession | None:
    """The request's shared read session, if its route reads and one was opened."""
    return _shared_read.get()


@asynccontextmanager
async def write_transaction(db: Database) -> AsyncIterator[AsyncSession]:
    """A write transaction, committed when the block ends without an error.

    On SQLite, writers of this process take turns through ``db.write_lock``
    before ``BEGIN IMMEDIATE``, so they are served in arrival order.
    """
    if db.write_lock is None:
        async with db.session() as session, session.begin():
            yield session
        return
    async with db.write_lock, db.session() as session, session.begin():
        yield session


async def provide_db_session(
    state: State, request: Request[Any, Any, Any]
) -> AsyncGenerator[AsyncSession, None]:
    """Litestar dependency: the request's session inside its one transaction."""
    db: Database = state.runtime.db
    declared = _declared(request)
    shared = shared_read_session() if declared == "read" else None
    if shared is not None:
        yield shared
        # The audit of this read is appended before the answer leaves, not after,
        # and the read's connection goes back to the pool first: a request that
        # held one connection while it waited for another could, with as many
        # such requests as the pool has connections, wait for ever.
        if shared.info.get(AUDIT_BUFFER) is not None or any(
            k.startswith(AFTER_READ) for k in shared.info
        ):
            await shared.commit()
            await _carry_audit(db, shared)
        return
    opener = read_transaction if declared == "read" else write_transaction
    async with opener(db) as session:
        yield session


@runtime_checkable
class Rewindable(Protocol):
    """A per-transaction buffer (audit events, changes) that a savepoint can rewind."""

    def mark(self) -> int:
        """The buffer's current length."""
        ...

    def rewind(self, mark: int) -> None:
        """Forget what was added after ``mark``."""
        ...


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Run a block atomically inside the current transaction.

    If the block raises, only its own writes are undone, along with the audit
    events and changes it buffered, and the error propagates; the surrounding
    transaction goes on (one bad mutation of a sync batch never undoes the others).
    """
    buffers = [b for b in session.info.values() if isinstance(b, Rewindable)]
    marks = [(b, b.mark()) for b in buffers]
    try:
        async with session.begin_nested():
            yield session
    except BaseException:
        for buffer, mark in marks:
            buffer.rewind(mark)
        for value in session.info.values():  # buffers the block itself started
            if isinstance(value, Rewindable) and all(value is not b for b in buffers):
                value.rewind(0)
        raise
