"""Re-wrapping every data key under the active master key, and retiring the old key.

The states of a rotation (the key file holds them, the database counts them):

1. ``lantern keys rotate`` stages a new master key. Workers re-read a changed
   key file, so each of them can unwrap under both keys from then on.
2. ``lantern keys activate KEY`` makes it active: new data keys are wrapped
   under it; the old key is *superseded* (still held, still read).
3. ``lantern keys rewrap`` re-wraps every data key (and each investigation's
   case-reference key) that is not under the active key, in batches of one
   transaction each, and makes the linkage index's lookup tags again under
   the active key (re-reading each disclosure under its case's key). Any
   number of runs may go at once (PostgreSQL: ``FOR UPDATE SKIP LOCKED``;
   SQLite: the write lock), and a run killed mid-way loses only its open
   batch: running it again resumes, because each row says which master key
   wraps it. The data keys themselves never change, so nothing sealed under
   them is touched, and a reader unwraps each row with the master key the
   row names, before, during and after the run. Person-match encodings are
   made again from the cases by ``lantern duplicates scan``.
4. ``lantern keys retire OLD`` refuses while any row that must move still
   names OLD (every column marked in the models, see ``repositories``), and
   names the command that moves it; otherwise it marks OLD retired.
5. ``lantern keys destroy OLD`` checks again and removes the secret for good.

Every batch, every run, every retirement and destruction is audited, by ids
and counts only: never key material.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.services import AuditEvent, AuditLog
from backend.crypto.keys import KeyFileError, destroy_master_key, retire_master_key
from backend.crypto.vault import SealedValueError, Vault, WrappedKey
from backend.db.session import write_transaction
from backend.errors import Conflict, NotFound
from backend.investigations.projection import WalletTagger, record_op
from backend.investigations.repositories import LinkageRepository, ProjectionOp
from backend.rotation.repositories import (
    RETAGGED_TABLE,
    STEPS,
    UNRECORDED,
    WRAPPED_KEY_TABLES,
    Claimed,
    RotationRepository,
    WrappedKeyTable,
    key_columns,
)
from backend.runtime import Runtime

__all__ = [
    "BatchReport",
    "RunReport",
    "destroy",
    "retire",
    "rewrap",
    "steps_for",
    "usage",
]


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What one batch (one transaction) did."""

    table: str
    rewrapped: int
    failed: int
    target: str


@dataclass(slots=True)
class RunReport:
    """What one run of :func:`rewrap` did, over all its batches."""

    run_id: uuid.UUID
    target: str = ""
    batches: int = 0
    rewrapped: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Keys this run re-wrapped."""
        return sum(self.rewrapped.values())


async def usage(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Rows per master key id, per table, of everything that names a master key."""
    return await RotationRepository(session).usage()


async def _rewrap_batch(
    session: AsyncSession,
    runtime: Runtime,
    table: WrappedKeyTable,
    *,
    run_id: uuid.UUID,
    after: uuid.UUID | None,
    skip: set[uuid.UUID],
    limit: int,
) -> tuple[BatchReport, list[Claimed]]:
    keyring = runtime.keyring
    keyring.refresh()  # an activation since the last batch retargets this one
    target = keyring.active_id
    repo = RotationRepository(session)
    claimed = await repo.claim(table, target=target, after=after, skip=skip, limit=limit)
    vault = Vault(keyring)
    done: list[tuple[Claimed, bytes, str]] = []
    failed = 0
    for row in claimed:
        try:
            plain = _plain_key(vault, table, row)
        except SealedValueError:
            failed += 1
            skip.add(row.owner)
            continue
        wrapped = vault.wrap(plain, row.owner, master_key_id=target)
        done.append((row, wrapped.wrapped, wrapped.master_key_id))
    written = await repo.rewrite(table, done)
    if claimed:
        AuditLog(session, keyring).record(
            AuditEvent(
                action="keys.rewrap",
                outcome="failure" if failed else "success",
                object_type="master_key",
                object_id=target,
                detail={
                    "run": str(run_id),
                    "table": table.name,
                    "rewrapped": written,
                    "failed": failed,
                    "from": ",".join(sorted({row.master_key_id for row in claimed})),
                },
            )
        )
    return BatchReport(table=table.name, rewrapped=written, failed=failed, target=target), claimed


def _plain_key(vault: Vault, table: WrappedKeyTable, row: Claimed) -> bytes:
    """The raw key a claimed row holds: unwrapped, or derived where it was never wrapped.

    Raises:
        SealedValueError: it cannot be unwrapped or derived (its master key is gone).
    """
    if row.wrapped is not None:
        return vault.unwrap_raw(
            WrappedKey(wrapped=row.wrapped, master_key_id=row.master_key_id), row.owner
        )
    if table.derived is None:
        raise SealedValueError(f"{table.name} row {row.owner} holds no key")
    try:
        return vault.keyring.derive(
            table.derived, key_id=row.master_key_id, context=row.owner.bytes
        )
    except KeyFileError as exc:
        raise SealedValueError(str(exc)) from None


async def _retag_batch(
    session: AsyncSession,
    runtime: Runtime,
    *,
    run_id: uuid.UUID,
    after: uuid.UUID | None,
    limit: int,
) -> tuple[BatchReport, list[uuid.UUID]]:
    """Make the lookup tags of up to ``limit`` disclosures again under the active key."""
    keyring = runtime.keyring
    keyring.refresh()
    target = keyring.active_id
    repo = RotationRepository(session)
    ids = await repo.stale_tagged(target=target, after=after, limit=limit)
    records = await repo.records_for_update(ids)
    stored = await repo.data_keys({r.case_id for r in records})
    vault = Vault(keyring)
    tagger = WalletTagger(keyring, key_id=target)
    ops = []
    failed = 0
    for record in records:
        wrapped = stored.get(record.case_id)
        try:
            key = (
                vault.unwrap(
                    WrappedKey(wrapped=wrapped.wrapped, master_key_id=wrapped.master_key_id),
                    record.case_id,
                )
                if wrapped is not None
                else None
            )
            op = record_op(record, key, tagger)
        except SealedValueError:
            failed += 1
            continue
        if op is not None:
            ops.append(op)
    # An index row whose record is gone is an orphan: nothing would ever re-tag it.
    found = {r.id for r in records}
    ops += [ProjectionOp(record_id=gone, rows=[]) for gone in ids if gone not in found]
    await LinkageRepository(session).apply(ops)
    if ids:
        AuditLog(session, keyring).record(
            AuditEvent(
                action="keys.rewrap",
                outcome="failure" if failed else "success",
                object_type="master_key",
                object_id=target,
                detail={
                    "run": str(run_id),
                    "table": RETAGGED_TABLE,
                    "rewrapped": len(ops),
                    "failed": failed,
                    "from": "",
                },
            )
        )
    report = BatchReport(table=RETAGGED_TABLE, rewrapped=len(ops), failed=failed, target=target)
    return report, ids


async def _retag(
    runtime: Runtime,
    report: RunReport,
    *,
    batch_size: int,
    on_batch: Callable[[BatchReport], None] | None,
) -> None:
    """Walk the linkage index once, re-tagging every disclosure not tagged under the active key."""
    after: uuid.UUID | None = None
    while True:
        async with write_transaction(runtime.db) as session:
            batch, ids = await _retag_batch(
                session, runtime, run_id=report.run_id, after=after, limit=batch_size
            )
        if not ids:
            return
        report.batches += 1
        name = batch.table
        report.rewrapped[name] = report.rewrapped.get(name, 0) + batch.rewrapped
        report.failed[name] = report.failed.get(name, 0) + batch.failed
        if on_batch is not None:
            on_batch(batch)
        after = ids[-1]


async def rewrap(
    runtime: Runtime,
    *,
    batch_size: int = 200,
    on_batch: Callable[[BatchReport], None] | None = None,
) -> RunReport:
    """Re-wrap every wrapped key that is not under the active master key.

    Walks each table in owner order, one transaction per batch. A row another
    worker holds locked is skipped; once a walk reaches the end, one more walk
    from the start picks up whatever was skipped and is still left (a worker
    that was killed released its rows). The run ends when a walk from the
    start finds nothing. Rows whose key cannot be unwrapped (its master key is
    not in the key file) are counted as failed and left as they are.

    Args:
        runtime: This process's keys and database.
        batch_size: Rows per transaction.
        on_batch: Called after each committed batch (progress output).

    Returns:
        What the run did.
    """
    report = RunReport(run_id=uuid.uuid4())
    await _retag(runtime, report, batch_size=batch_size, on_batch=on_batch)
    for table in WRAPPED_KEY_TABLES:
        skip: set[uuid.UUID] = set()
        after: uuid.UUID | None = None
        while True:
            async with write_transaction(runtime.db) as session:
                batch, claimed = await _rewrap_batch(
                    session,
                    runtime,
                    table,
                    run_id=report.run_id,
                    after=after,
                    skip=skip,
                    limit=batch_size,
                )
            report.target = batch.target
            if claimed:
                report.batches += 1
                report.rewrapped[table.name] = report.rewrapped.get(table.name, 0) + batch.rewrapped
                report.failed[table.name] = report.failed.get(table.name, 0) + batch.failed
                if on_batch is not None:
                    on_batch(batch)
                after = claimed[-1].owner
                continue
            if after is None:
                break
            after = None  # one more walk from the start
    async with write_transaction(runtime.db) as session:
        AuditLog(session, runtime.keyring).record(
            AuditEvent(
                action="keys.rewrap.run",
                outcome="failure" if sum(report.failed.values()) else "success",
                object_type="master_key",
                object_id=report.target or runtime.keyring.active_id,
                detail={
                    "run": str(report.run_id),
                    "batches": report.batches,
                    "rewrapped": report.total,
                    "failed": sum(report.failed.values()),
                },
            )
        )
    return report


def _in_use(found: dict[str, dict[str, int]], key_id: str) -> str | None:
    """What still names ``key_id`` and must move first, with the command that moves it.

    Rows whose key id was never written down (older linkage rows) may name
    any key, so they hold back every key until they are re-tagged.
    """
    by_command: dict[str, list[str]] = {}
    for marked in key_columns():
        if not marked.blocks:
            continue
        count = found.get(key_id, {}).get(marked.table, 0)
        unrecorded = found.get(UNRECORDED, {}).get(marked.table, 0)
        parts = [f"{count} in {marked.table}"] if count else []
        if unrecorded:
            parts.append(f"{unrecorded} in {marked.table} under a key not recorded")
        if parts:
            by_command.setdefault(marked.command or "", []).extend(parts)
    if not by_command:
        return None
    return "; ".join(
        f"{', '.join(by_command[command])}: run `{command}`"
        for command in _COMMANDS
        if command in by_command
    )


_COMMANDS = [step.command for step in STEPS.values() if step.command]


def steps_for(tables: dict[str, int]) -> list[str]:
    """The commands that move these rows (counts per table) off their master key, in order."""
    wanted = {m.command for m in key_columns() if m.blocks and tables.get(m.table)}
    return [command for command in _COMMANDS if command in wanted]


async def _end_of_life(
    runtime: Runtime, key_id: str, action: str, step: Callable[[], None]
) -> None:
    """Refuse while any row names ``key_id``; otherwise take ``step`` and audit it."""
    runtime.keyring.refresh()
    if key_id == runtime.keyring.active_id:
        raise Conflict(f"master key {key_id} is the active key: activate another first")
    async with write_transaction(runtime.db) as session:
        busy = _in_use(await usage(session), key_id)
        if busy:
            raise Conflict(f"master key {key_id} is still in use: {busy}")
        try:
            step()
        except KeyFileError as exc:
            raise NotFound(str(exc)) from None
        AuditLog(session, runtime.keyring).record(
            AuditEvent(action=action, object_type="master_key", object_id=key_id)
        )
    runtime.keyring.refresh()


async def retire(runtime: Runtime, key_id: str) -> None:
    """Retire a master key that no row uses any more (its secret is still kept).

    Raises:
        Conflict: the key is active, or rows still name it.
        NotFound: the key is unknown or destroyed.
    """
    path = runtime.settings.effective_key_file
    await _end_of_life(runtime, key_id, "keys.retire", lambda: retire_master_key(path, key_id))


async def destroy(runtime: Runtime, key_id: str) -> None:
    """Destroy a retired master key's secret, after checking again that no row uses it.

    Raises:
        Conflict: rows name the key again (a worker wrote under it late): re-wrap first.
        NotFound: the key is unknown, already destroyed, or not retired.
    """
    path = runtime.settings.effective_key_file
    await _end_of_life(runtime, key_id, "keys.destroy", lambda: destroy_master_key(path, key_id))
