"""Encrypted from the first write; change numbers in commit order; savepoints rewind buffers."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from httpx import AsyncClient
from sqlalchemy import select, text

from backend.access.principal import Principal
from backend.access.roles import Role
from backend.crypto.keys import create_key_file
from backend.crypto.vault import SealedValueError, Vault
from backend.db.base import Base
from backend.db.models import Change, Record
from backend.db.session import read_transaction, savepoint, write_transaction
from backend.runtime import Runtime
from backend.sync.push import PushService
from backend.sync.schemas import PushRequest
from tests.backend.sync.support import (
    FAKE_ACCOUNT,
    FAKE_BIRTH,
    FAKE_DOCUMENT,
    FAKE_FAMILY,
    FAKE_GIVEN,
    FAKE_PHONE,
    case_data,
    field_operation,
    full_case,
    mutation,
)
from tests.conftest import Accounts, is_postgres

SEEDED = [FAKE_GIVEN, FAKE_FAMILY, FAKE_DOCUMENT, FAKE_PHONE, FAKE_BIRTH, FAKE_ACCOUNT[:40]]


async def test_no_seeded_identity_value_is_stored_in_the_clear(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, database_url: str
) -> None:
    field = await field_operation(client, accounts)
    results = await field.caseworker.push(full_case(field.operation_id))
    assert {r["status"] for r in results} == {"applied"}
    # A rejected payload and a conflict carry personal data too.
    await field.caseworker.push(
        [mutation("case", uuid.uuid4(), case_data(field.operation_id, age_estimate=-1))]
    )
    if is_postgres():
        async with read_transaction(runtime.db) as session:
            dumped = []
            for table in Base.metadata.sorted_tables:
                rows = await session.execute(text(f"SELECT t::text FROM {table.name} t"))
                dumped += [str(r[0]) for r in rows]
        haystack = "\n".join(dumped).encode()
        # bytea columns print as hex: look for the hex of each value as well.
        needles = [v.encode() for v in SEEDED] + [v.encode().hex().encode() for v in SEEDED]
    else:
        await runtime.db.dispose()  # every page on disk (the WAL is read too)
        path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        haystack = b"".join(
            p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        needles = [v.encode() for v in SEEDED]
    found = [n for n in needles if n in haystack]
    assert found == [], found


def test_a_sealed_value_opens_only_in_its_own_cell(tmp_path: Path) -> None:
    vault = Vault(create_key_file(tmp_path / "k.key", development=True))
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    key_a, wrapped_a = vault.new_data_key(case_a)
    sealed = key_a.seal(b"secret", table="sync_records", column="body", row_id="r1")
    assert key_a.open(sealed, table="sync_records", column="body", row_id="r1") == b"secret"
    for table, column, row in (
        ("sync_records", "body", "r2"),
        ("sync_records", "facets", "r1"),
        ("sync_conflicts", "body", "r1"),
    ):
        with pytest.raises(SealedValueError):
            key_a.open(sealed, table=table, column=column, row_id=row)
    key_b, _ = vault.new_data_key(case_b)
    with pytest.raises(SealedValueError):
        key_b.open(sealed, table="sync_records", column="body", row_id="r1")
    with pytest.raises(SealedValueError):  # a wrapped key moved to another case
        vault.unwrap(wrapped_a, case_b)
    reopened = vault.unwrap(wrapped_a, case_a)
    assert reopened.open(sealed, table="sync_records", column="body", row_id="r1") == b"secret"


async def test_a_rolled_back_savepoint_rewinds_its_changes_and_audit_events(
    runtime: Runtime, accounts: Accounts
) -> None:
    from backend.audit.services import AuditEvent, AuditLog
    from backend.sync.repositories import ChangeDraft, SyncRepository

    async with write_transaction(runtime.db) as session:
        audit = AuditLog(session, runtime.keyring)
        repo = SyncRepository(session)
        audit.record(AuditEvent(action="test.kept"))
        with pytest.raises(RuntimeError):
            async with savepoint(session):
                audit.record(AuditEvent(action="test.undone"))
                repo.log_change(
                    ChangeDraft(
                        entity="case",
                        record_id=uuid.uuid4(),
                        operation_id=uuid.uuid4(),
                        rev=1,
                        op="upsert",
                    )
                )
                raise RuntimeError("the mutation failed")
    async with read_transaction(runtime.db) as session:
        from backend.db.models import AuditEntry

        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
        changes = (await session.execute(select(Change))).scalars().all()
    assert list(actions) == ["test.kept"]
    assert list(changes) == []


@pytest.mark.skipif(not is_postgres(), reason="two writers at once need PostgreSQL")
async def test_change_numbers_follow_commit_order(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """A transaction that started first but commits last is still pulled: no change is skipped.

    With numbers taken from a sequence when the change is written, the slow
    transaction would hold number 1, the fast one number 2, and a device that
    pulled number 2 in between would never see number 1.
    """
    field = await field_operation(client, accounts)
    worker = field.caseworker
    principal = Principal(
        user_id=worker.user_id,
        username="cw",
        role=Role.CASEWORKER,
        token_id=uuid.uuid4(),
        device_id=worker.id,
    )
    slow_case, fast_case = uuid.uuid4(), uuid.uuid4()

    def batch(case_id: uuid.UUID, code: str) -> PushRequest:
        import msgspec

        return msgspec.convert(
            {
                "device_id": str(worker.id),
                "mutations": [mutation("case", case_id, case_data(field.operation_id, code=code))],
            },
            PushRequest,
        )

    slow = runtime.db.session()
    await slow.begin()
    await PushService(slow, runtime).push(principal, batch(slow_case, "SLOW-0001"))
    async with runtime.db.session() as fast, fast.begin():
        await PushService(fast, runtime).push(principal, batch(fast_case, "FAST-0001"))
    first = await worker.pull_all()
    assert [c["id"] for c in first] == [str(fast_case)]
    await slow.commit()
    await slow.close()
    second = await worker.pull_all()
    assert [c["id"] for c in second] == [str(slow_case)]
    async with read_transaction(runtime.db) as session:
        seqs = (await session.execute(select(Change.seq).order_by(Change.seq))).scalars().all()
    assert list(seqs) == list(range(seqs[0], seqs[0] + len(seqs)))  # no gaps


async def test_records_carry_revisions_and_no_plain_fields(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await field.caseworker.push(full_case(field.operation_id))
    async with read_transaction(runtime.db) as session:
        records = (await session.execute(select(Record))).scalars().all()
    for record in records:
        assert record.rev == 1
        assert FAKE_GIVEN.encode() not in record.body
        assert FAKE_GIVEN not in record.facets and FAKE_GIVEN not in record.field_revs
