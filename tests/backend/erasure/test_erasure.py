"""Erasure: the data key is destroyed, records become tombstones, phones drop the case."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import create_engine, func, select, update

from backend.app import build_runtime
from backend.cli import main
from backend.crypto.keys import activate_master_key, add_master_key, load_key_file
from backend.crypto.vault import SealedValueError, Vault, WrappedKey
from backend.db.models import (
    AuditEntry,
    CaseLifecycle,
    DataKey,
    Quarantined,
    Record,
    ReferralStep,
)
from backend.db.session import read_transaction, write_transaction
from backend.duplicates.services import scan
from backend.rotation.services import destroy, retire, rewrap
from backend.runtime import Runtime
from backend.settings import Settings
from tests.backend.sync.support import (
    FAKE_GIVEN,
    Field,
    case_data,
    field_operation,
    full_case,
    mutation,
)
from tests.conftest import Accounts, assert_problem, is_postgres

CASES = "/api/v1/cases"


async def _pushed_case(field: Field) -> uuid.UUID:
    case_id = uuid.uuid4()
    results = await field.caseworker.push(full_case(field.operation_id, case_id))
    assert {r["status"] for r in results} == {"applied"}, results
    return case_id


async def _saved_rows(runtime: Runtime, case_id: uuid.UUID) -> list[tuple[uuid.UUID, bytes]]:
    """A copy of the case's sync_records rows (id and sealed body), as a thief would take them."""
    async with read_transaction(runtime.db) as session:
        rows = await session.execute(
            select(Record.id, Record.body).where(Record.case_id == case_id)
        )
        return [(row_id, bytes(body)) for row_id, body in rows]


async def _open_with_live_keys(
    runtime: Runtime, case_id: uuid.UUID, rows: list[tuple[uuid.UUID, bytes]]
) -> list[dict[str, Any]]:
    """Decrypt saved rows with the key file and the data keys the database holds now."""
    async with read_transaction(runtime.db) as session:
        stored = await session.get(DataKey, case_id)
    if stored is None:
        raise SealedValueError("the case's data key is gone")
    key = Vault(runtime.keyring).unwrap(
        WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id), case_id
    )
    return [
        msgspec.json.decode(key.open(body, table="sync_records", column="body", row_id=str(rid)))
        for rid, body in rows
    ]


def _copy_database(runtime: Runtime, out: Path) -> None:
    """A consistent copy of the SQLite database (WAL included), as ``lantern backup`` makes."""
    source = runtime.settings.effective_database_url.split("///", 1)[1]
    with sqlite3.connect(source) as src, sqlite3.connect(out) as dst:
        src.backup(dst)


def _open_from_file_copy(runtime: Runtime, copy: Path, case_id: uuid.UUID) -> int:
    """Decrypt the case's records in a database file copy with the key file: how many opened."""
    engine = create_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        stored = conn.execute(
            select(DataKey.wrapped, DataKey.master_key_id).where(DataKey.owner_id == case_id)
        ).one_or_none()
        rows = conn.execute(select(Record.id, Record.body).where(Record.case_id == case_id)).all()
    engine.dispose()
    if stored is None:
        raise SealedValueError("no data key in the copy")
    key = Vault(runtime.keyring).unwrap(
        WrappedKey(wrapped=stored[0], master_key_id=stored[1]), case_id
    )
    for rid, body in rows:
        key.open(body, table="sync_records", column="body", row_id=str(rid))
    return len(rows)


async def test_erasure_shreds_the_key_so_a_copy_of_the_records_cannot_be_read(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _pushed_case(field)
    referred = await client.post(
        f"{CASES}/{case_id}/referrals",
        headers=field.coordinator_headers,
        json={"service": "medical"},
    )
    assert referred.status_code == 201, referred.text
    saved = await _saved_rows(runtime, case_id)
    opened = await _open_with_live_keys(runtime, case_id, saved)  # readable before
    assert any(values.get("given_names") == FAKE_GIVEN for values in opened)

    erased = await client.delete(
        f"{CASES}/{case_id}",
        headers=field.coordinator_headers,
        params={"reason": "person_request"},
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["records"] == 7

    with pytest.raises(SealedValueError):
        await _open_with_live_keys(runtime, case_id, saved)
    async with read_transaction(runtime.db) as session:
        records = (await session.execute(select(Record).where(Record.case_id == case_id))).scalars()
        tombstones = list(records)
        entries = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "case.erase")))
            .scalars()
            .all()
        )
        lifecycle = await session.get(CaseLifecycle, case_id)
        steps = await session.scalar(
            select(func.count()).select_from(ReferralStep).where(ReferralStep.case_id == case_id)
        )
    assert steps == 0  # a forgetter of FORGETTERS ran
    assert len(tombstones) == 7
    assert all(r.deleted and r.body == b"" and r.facets == "{}" for r in tombstones)
    assert [(e.object_id, json.loads(e.detail)["reason"]) for e in entries] == [
        (str(case_id), "person_request")
    ]
    assert FAKE_GIVEN not in entries[0].detail
    assert lifecycle is not None and lifecycle.erasure_reason == "person_request"
    opened_again = await client.get(f"{CASES}/{case_id}", headers=field.coordinator_headers)
    assert_problem(opened_again, 404, "not-found")
    listed = await client.get(CASES, headers=field.coordinator_headers)
    assert str(case_id) not in {line["id"] for line in listed.json()}


@pytest.mark.skipif(is_postgres(), reason="a file copy of the database is SQLite's backup")
async def test_a_file_copy_from_before_erasure_no_longer_matches_the_live_database(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, tmp_path: Path
) -> None:
    """What crypto-shredding does and does not do against a full copy.

    The copy made before erasure holds the wrapped data key too: with the key
    file it still opens (documented in docs/coordinators.md: such copies must
    be destroyed, or the master key rotated and the old one retired). Nothing
    of the case can be read from the live database or any copy made after.
    """
    field = await field_operation(client, accounts)
    case_id = await _pushed_case(field)
    before = tmp_path / "before.db"
    _copy_database(runtime, before)
    erased = await client.delete(
        f"{CASES}/{case_id}", headers=field.coordinator_headers, params={"reason": "duplicate"}
    )
    assert erased.status_code == 200, erased.text
    after = tmp_path / "after.db"
    _copy_database(runtime, after)
    assert _open_from_file_copy(runtime, before, case_id) == 6
    with pytest.raises(SealedValueError):
        _open_from_file_copy(runtime, after, case_id)
    raw = after.read_bytes()
    assert FAKE_GIVEN.encode() not in raw


async def test_phones_drop_an_erased_case_on_their_next_pull(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _pushed_case(field)
    await field.caseworker.pull_all()
    await field.coordinator.pull_all()
    erased = await client.delete(
        f"{CASES}/{case_id}", headers=field.coordinator_headers, params={"reason": "legal_order"}
    )
    assert erased.status_code == 200, erased.text
    for device in (field.caseworker, field.coordinator):
        changes = await device.pull_all()
        assert {"entity": "case", "id": str(case_id), "op": "purge"}.items() <= changes[0].items()
        assert all(c.get("data") is None for c in changes)
    # A phone syncing from scratch gets the purge and tombstones only, no content.
    field.coordinator.cursor = None
    from_scratch = await field.coordinator.pull_all()
    assert any(c["op"] == "purge" and c["id"] == str(case_id) for c in from_scratch)
    assert all(c.get("data") is None for c in from_scratch)


async def test_pushing_to_an_erased_case_is_rejected_and_nothing_is_kept(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _pushed_case(field)
    erased = await client.delete(
        f"{CASES}/{case_id}", headers=field.coordinator_headers, params={"reason": "person_request"}
    )
    assert erased.status_code == 200
    results = await field.caseworker.push(
        [
            mutation("case", case_id, {"family_name": "Afterwards"}, base_rev=1),
            mutation("case", case_id, case_data(field.operation_id)),
            mutation(
                "referral",
                uuid.uuid4(),
                {"case_id": str(case_id), "service": "medical", "status": "proposed"},
            ),
        ]
    )
    assert [r["status"] for r in results] == ["rejected"] * 3, results
    assert {r["problem"]["type"] for r in results} == {"urn:lantern:problem:case-erased"}
    assert {r["problem"]["status"] for r in results} == {410}
    async with read_transaction(runtime.db) as session:
        kept = await session.scalar(select(func.count()).select_from(Quarantined))
    assert kept == 0


async def test_erasure_removes_the_case_s_conflicts_and_quarantine(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    await field.coordinator.push([mutation("case", case_id, {"family_name": "A"}, base_rev=1)])
    await field.caseworker.push([mutation("case", case_id, {"family_name": "B"}, base_rev=1)])
    bad = {"case_id": str(case_id), "service": "spa", "status": "proposed"}
    await field.caseworker.push([mutation("referral", uuid.uuid4(), bad)])
    detail = (await client.get(f"{CASES}/{case_id}", headers=field.coordinator_headers)).json()
    assert detail["conflicts"] and detail["quarantine"]
    erased = await client.delete(
        f"{CASES}/{case_id}", headers=field.coordinator_headers, params={"reason": "duplicate"}
    )
    assert erased.status_code == 200
    conflicts = await client.get("/api/v1/sync/conflicts", headers=field.coordinator_headers)
    quarantine = await client.get("/api/v1/sync/quarantine", headers=field.coordinator_headers)
    assert conflicts.json() == [] and quarantine.json() == []


async def test_erasure_needs_a_reason_and_happens_once(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _pushed_case(field)
    url = f"{CASES}/{case_id}"
    headers = field.coordinator_headers
    missing = await client.delete(url, headers=headers)
    assert_problem(missing, 422, "validation")
    unknown = await client.delete(url, headers=headers, params={"reason": "because"})
    assert_problem(unknown, 422, "validation")
    assert (
        await client.delete(url, headers=headers, params={"reason": "duplicate"})
    ).status_code == 200
    again = await client.delete(url, headers=headers, params={"reason": "duplicate"})
    assert_problem(again, 404, "not-found")


async def test_two_erasures_of_one_case_at_once_erase_it_once(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _pushed_case(field)
    url = f"{CASES}/{case_id}"
    both = await asyncio.gather(
        *(
            client.delete(url, headers=field.coordinator_headers, params={"reason": "duplicate"})
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in both) == [200, 404]
    async with read_transaction(runtime.db) as session:
        entries = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "case.erase", AuditEntry.outcome == "success")
        )
    assert entries == 1


async def test_retention_reports_then_erases_cases_closed_too_long_ago(
    client: AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    settings_env: dict[str, str],
) -> None:
    field = await field_operation(client, accounts)
    old, recent, open_case = [await _pushed_case(field) for _ in range(3)]
    for case_id in (old, recent):
        closed = await client.post(f"{CASES}/{case_id}/close", headers=field.coordinator_headers)
        assert closed.status_code == 200, closed.text
        assert closed.json()["erase_after"] is not None
    async with write_transaction(runtime.db) as session:
        await session.execute(
            update(CaseLifecycle)
            .where(CaseLifecycle.case_id == old)
            .values(closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=400))
        )
    env = {**settings_env, "LANTERN_RETENTION_DAYS_AFTER_CLOSURE": "365"}
    dry = await asyncio.to_thread(CliRunner().invoke, main, ["retention", "run"], env=env)
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["applied"] is False and report["cases"] == [str(old)]
    assert report["records"] is None  # a dry run erases nothing, so it counts nothing
    opened = await client.get(f"{CASES}/{old}", headers=field.coordinator_headers)
    assert opened.status_code == 200  # a dry run erases nothing

    applied = await asyncio.to_thread(
        CliRunner().invoke, main, ["retention", "run", "--apply"], env=env
    )
    assert applied.exit_code == 0, applied.output
    report = json.loads(applied.output)
    assert report["applied"] is True and report["cases"] == [str(old)] and report["records"] == 6
    assert_problem(
        await client.get(f"{CASES}/{old}", headers=field.coordinator_headers), 404, "not-found"
    )
    for kept in (recent, open_case):
        assert (
            await client.get(f"{CASES}/{kept}", headers=field.coordinator_headers)
        ).status_code == 200
    again = await asyncio.to_thread(
        CliRunner().invoke, main, ["retention", "run", "--apply"], env=env
    )
    assert json.loads(again.output)["cases"] == []


@pytest.mark.skipif(is_postgres(), reason="lantern backup and restore are SQLite's")
async def test_a_restore_never_brings_an_erased_case_back(
    client: AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    settings_env: dict[str, str],
    tmp_path: Path,
) -> None:
    field = await field_operation(client, accounts)
    erased_case, kept_case = await _pushed_case(field), await _pushed_case(field)
    backup = tmp_path / "backup.db"
    made = await asyncio.to_thread(
        CliRunner().invoke, main, ["backup", str(backup)], env=settings_env
    )
    assert made.exit_code == 0, made.output
    erased = await client.delete(
        f"{CASES}/{erased_case}",
        headers=field.coordinator_headers,
        params={"reason": "person_request"},
    )
    assert erased.status_code == 200
    await runtime.db.dispose()
    restored = await asyncio.to_thread(
        CliRunner().invoke, main, ["restore", str(backup)], env=settings_env
    )
    assert restored.exit_code == 0, restored.output
    assert "erased again 1 of 1" in restored.output
    async with read_transaction(runtime.db) as session:
        assert await session.get(DataKey, erased_case) is None
        assert await session.get(DataKey, kept_case) is not None
    assert_problem(
        await client.get(f"{CASES}/{erased_case}", headers=field.coordinator_headers),
        404,
        "not-found",
    )


async def test_a_full_copy_from_before_erasure_is_unreadable_once_its_master_key_is_destroyed(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, settings: Settings
) -> None:
    """Crypto-shredding against backups: erase, rotate the master key out, destroy it.

    A full copy made before the erasure holds the case's data key wrapped under
    the master key of that day. Once every live key is re-wrapped under a new
    master key and the old one is destroyed, the key file can no longer unwrap
    it: the erased person cannot be read back from that copy, while every case
    that was kept reads on.
    """
    field = await field_operation(client, accounts)
    erased_id = await _pushed_case(field)
    kept_id = await _pushed_case(field)
    saved = await _saved_rows(runtime, erased_id)
    async with read_transaction(runtime.db) as session:
        copied = await session.get(DataKey, erased_id)  # the copy's wrapped data key
    assert copied is not None
    copy = WrappedKey(wrapped=bytes(copied.wrapped), master_key_id=copied.master_key_id)
    assert await _open_with_live_keys(runtime, erased_id, saved)

    erased = await client.delete(
        f"{CASES}/{erased_id}",
        headers=field.coordinator_headers,
        params={"reason": "person_request"},
    )
    assert erased.status_code == 200, erased.text
    # The limit, before rotation: the old copy still opens with today's key file.
    assert Vault(load_key_file(settings.effective_key_file)).unwrap(copy, erased_id)

    path = settings.effective_key_file
    old = copy.master_key_id
    new = add_master_key(path)
    activate_master_key(path, new)
    rotated = build_runtime(settings)
    await rewrap(rotated)
    await scan(rotated)  # person-match encodings follow the new key too
    await retire(rotated, old)
    await destroy(rotated, old)

    ring = load_key_file(path)
    with pytest.raises(SealedValueError):
        Vault(ring).unwrap(copy, erased_id)
    # Tokens issued under the destroyed key are gone with it: the coordinator signs in again.
    assert field.coordinator_account is not None
    headers = await accounts.headers(field.coordinator_account, device_id=field.coordinator.id)
    kept = await client.get(f"{CASES}/{kept_id}", headers=headers, params={"purpose": "referral"})
    assert kept.status_code == 200, kept.text
    assert FAKE_GIVEN in kept.text
