"""Push and pull: durable outcomes, idempotence, quarantine, conflicts, scope, revocation."""

from __future__ import annotations

import asyncio
import uuid

from httpx import AsyncClient
from sqlalchemy import func, select, text

from backend.db.models import Change, Mutation, Quarantined, Record
from backend.db.session import read_transaction, write_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import (
    FAKE_ACCOUNT,
    FAKE_GIVEN,
    PULL,
    PUSH,
    case_data,
    field_operation,
    full_case,
    mutation,
)
from tests.conftest import Accounts, assert_problem


async def _count(runtime: Runtime, model: type) -> int:
    async with read_transaction(runtime.db) as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_full_case_is_applied_and_pulled_back_by_scope(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    results = await field.caseworker.push(full_case(field.operation_id))
    assert [r["status"] for r in results] == ["applied"] * 6, results
    changes = await field.caseworker.pull_all()
    entities = sorted(c["entity"] for c in changes)
    # The account never leaves coordinator scope, not even to the phone that recorded it.
    assert entities == ["case", "consent", "disclosure", "referral", "screening"]
    case = next(c for c in changes if c["entity"] == "case")
    assert case["data"]["given_names"] == FAKE_GIVEN
    screening = next(c for c in changes if c["entity"] == "screening")
    assert screening["data"]["assessment"]["instrument_version"] == 2
    assert "child" in screening["facets"]["flags"]  # assessed on arrival: 16 years old
    # No phone holds an account, a coordinator's neither: they read it online, in the case view.
    coordinator = await field.coordinator.pull_all()
    assert "account" not in {c["entity"] for c in coordinator}
    assert len(coordinator) == 5
    view = await client.get(
        f"/api/v1/cases/{case['id']}",
        headers=field.coordinator_headers,
        params={"purpose": "triage"},
    )
    assert view.json()["accounts"][0]["data"]["text"] == FAKE_ACCOUNT


async def test_the_same_batch_pushed_three_times_changes_nothing_after_the_first(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    batch = full_case(field.operation_id)
    first = await field.caseworker.push(batch)
    counts = [await _count(runtime, m) for m in (Record, Change, Mutation)]
    for _ in range(2):  # the response was lost; the phone sends the batch again
        again = await field.caseworker.push(batch)
        assert [r["status"] for r in again] == ["duplicate"] * len(batch)
        assert [r["rev"] for r in again] == [r["rev"] for r in first]
        assert [await _count(runtime, m) for m in (Record, Change, Mutation)] == counts


async def test_the_same_mutation_in_two_concurrent_requests_is_applied_once(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    batch = [mutation("case", uuid.uuid4(), case_data(field.operation_id))]
    both = await asyncio.gather(field.caseworker.push(batch), field.caseworker.push(batch))
    statuses = sorted(r[0]["status"] for r in both)
    assert statuses == ["applied", "duplicate"]
    assert await _count(runtime, Record) == 1
    assert await _count(runtime, Change) == 1


async def test_an_update_that_arrives_before_its_create_waits_then_applies(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    early = mutation("case", case_id, {"family_name": "Later-Name"}, base_rev=1)
    waiting = await field.caseworker.push([early])
    assert waiting[0]["status"] == "waiting"
    created = await field.caseworker.push(
        [mutation("case", case_id, case_data(field.operation_id))]
    )
    assert created[0]["status"] == "applied"
    changes = await field.caseworker.pull_all()
    case = next(c for c in changes if c["id"] == str(case_id))
    assert case["data"]["family_name"] == "Later-Name"
    assert case["rev"] == 2


async def test_a_record_that_arrives_before_its_case_waits_then_applies(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    batch = full_case(field.operation_id)
    first = await field.caseworker.push(batch[1:])  # the case itself comes later
    assert {r["status"] for r in first} == {"waiting"}
    await field.caseworker.push(batch[:1])
    changes = await field.caseworker.pull_all()
    assert len(changes) == 5  # case + 4 (the account stays with coordinators)


async def test_one_invalid_mutation_among_a_hundred_is_kept_and_does_not_block_the_rest(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    batch = [mutation("case", uuid.uuid4(), case_data(field.operation_id)) for _ in range(99)]
    bad = mutation("case", uuid.uuid4(), case_data(field.operation_id, age_estimate=-3))
    batch.insert(50, bad)
    results = await field.caseworker.push(batch)
    assert [r["status"] for r in results].count("applied") == 99
    rejected = results[50]
    assert rejected["status"] == "rejected"
    assert rejected["problem"]["type"] == "urn:lantern:problem:validation"
    assert rejected["problem"]["errors"][0]["field"] == "data.age_estimate"
    listed = await field.coordinator.client.get(
        "/api/v1/sync/quarantine", headers=field.coordinator_headers
    )
    items = listed.json()
    assert len(items) == 1
    assert items[0]["payload"]["data"]["age_estimate"] == -3  # nothing the caseworker sent is lost
    again = await field.caseworker.push([bad])
    assert again[0]["status"] == "duplicate" and again[0]["problem"]["status"] == 422
    dismissed = await field.coordinator.client.post(
        f"/api/v1/sync/quarantine/{items[0]['id']}/resolve",
        headers=field.coordinator_headers,
        json={"action": "dismiss"},
    )
    assert dismissed.status_code == 204
    assert await _count(runtime, Quarantined) == 1  # dismissed, still stored


async def test_conflict_matrix(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    coordinator = field.coordinator
    # The coordinator changes the family name at rev 1 -> rev 2.
    server = await coordinator.push(
        [mutation("case", case_id, {"family_name": "Server"}, base_rev=1)]
    )
    assert server[0] == {**server[0], "status": "applied", "rev": 2}

    # Different fields from the same base merge.
    merged = await field.caseworker.push(
        [mutation("case", case_id, {"given_names": "Device-Given"}, base_rev=1)]
    )
    assert merged[0]["status"] == "applied" and merged[0]["rev"] == 3

    # The same field from the same base is a conflict: the server keeps its value.
    clash = await field.caseworker.push(
        [mutation("case", case_id, {"family_name": "Device"}, base_rev=1)]
    )
    assert clash[0]["status"] == "conflict"
    assert [c["field"] for c in clash[0]["conflicts"]] == ["family_name"]

    # Two different creates with the same id conflict.
    twin = await coordinator.push(
        [mutation("case", case_id, case_data(field.operation_id, family_name="Twin"))]
    )
    assert twin[0]["status"] == "conflict"

    # An update against a delete is a conflict.
    other = uuid.uuid4()
    await field.caseworker.push(
        [mutation("case", other, case_data(field.operation_id, code="EF56-GH78"))]
    )
    await field.caseworker.push([mutation("case", other, {}, op="delete", base_rev=1)])
    late = await field.caseworker.push([mutation("case", other, {"notes": "late"}, base_rev=1)])
    assert late[0]["status"] == "conflict"

    listed = await client.get("/api/v1/sync/conflicts", headers=field.coordinator_headers)
    conflicts = listed.json()
    family = next(c for c in conflicts if c["kind"] == "update_update")
    assert (family["device_value"], family["server_value"]) == ("Device", "Server")
    assert {c["kind"] for c in conflicts} == {"update_update", "create_create", "update_deleted"}

    resolved = await client.post(
        f"/api/v1/sync/conflicts/{family['id']}/resolve",
        headers=field.coordinator_headers,
        json={"keep": "device"},
    )
    assert resolved.status_code == 204
    changes = await field.caseworker.pull_all()
    latest = [c for c in changes if c["id"] == str(case_id)][-1]
    assert latest["data"]["family_name"] == "Device"
    assert latest["data"]["given_names"] == "Device-Given"
    again = await client.post(
        f"/api/v1/sync/conflicts/{family['id']}/resolve",
        headers=field.coordinator_headers,
        json={"keep": "server"},
    )
    assert_problem(again, 409, "conflict")


async def test_a_recorded_consent_never_changes(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    batch = full_case(field.operation_id)
    await field.caseworker.push(batch)
    consent_id = uuid.UUID(batch[1]["id"])
    change = await field.caseworker.push(
        [mutation("consent", consent_id, {"state": "withdrawn"}, base_rev=1)]
    )
    assert change[0]["status"] == "rejected"
    assert change[0]["problem"]["errors"][0]["code"] == "immutable"


async def test_scope_is_the_callers_operations(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    _, other_coord = await accounts.signed_in("coordinator")
    elsewhere = await client.post(
        "/api/v1/operations",
        headers=other_coord,
        json={"name": "Other", "country": "TH", "site": "Elsewhere"},
    )
    foreign = await field.caseworker.push(
        [mutation("case", uuid.uuid4(), case_data(elsewhere.json()["id"]))]
    )
    assert foreign[0]["status"] == "rejected"
    assert foreign[0]["problem"]["type"] == "urn:lantern:problem:forbidden"


async def test_losing_and_gaining_scope(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    await field.coordinator.push(full_case(field.operation_id))
    worker = field.caseworker
    assert len([c for c in await worker.pull_all() if c["entity"] == "case"]) == 1
    members = f"/api/v1/operations/{field.operation_id}/members/{worker.user_id}"
    assert (await client.delete(members, headers=field.coordinator_headers)).status_code == 204
    purge = await worker.pull_all()
    assert purge == [{"entity": "operation", "id": field.operation_id, "op": "purge", "rev": 0}]
    # Added back: what the operation holds arrives again, though it is older than the cursor.
    await client.post(
        f"/api/v1/operations/{field.operation_id}/members",
        headers=field.coordinator_headers,
        json={"user_id": str(worker.user_id)},
    )
    again = await worker.pull_all()
    assert [c["entity"] for c in again] == ["case"]  # others' cases: the case code only
    assert "data" not in again[0] and again[0]["facets"]["case_code"] == "AB12-CD34"


async def test_a_revoked_device_is_refused_and_another_users_device_too(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    worker = field.caseworker
    wrong = await client.post(
        PUSH, headers=worker.headers, json={"device_id": str(uuid.uuid4()), "mutations": []}
    )
    assert_problem(wrong, 403, "forbidden")
    _, admin = await accounts.signed_in("admin")
    await client.post(f"/api/v1/devices/{worker.id}/revoke", headers=admin)
    for response in (
        await client.post(
            PUSH, headers=worker.headers, json={"device_id": str(worker.id), "mutations": []}
        ),
        await client.get(PULL, headers=worker.headers),
    ):
        body = assert_problem(response, 403, "device-revoked")
        assert body["action"] == "wipe-local-data"


async def test_a_batch_over_500_is_a_413(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    batch = [mutation("case", uuid.uuid4(), {}) for _ in range(501)]
    response = await client.post(
        PUSH,
        headers=field.caseworker.headers,
        json={"device_id": str(field.caseworker.id), "mutations": batch},
    )
    assert_problem(response, 413, "payload-too-large")


async def test_a_cursor_from_before_a_restore_asks_for_a_re_push(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await field.caseworker.push(full_case(field.operation_id))
    await field.caseworker.pull_all()
    async with write_transaction(runtime.db) as session:
        await session.execute(
            text("UPDATE server_state SET value = 'restored' WHERE key = 'epoch'")
        )
    response = await client.get(
        PULL, headers=field.caseworker.headers, params={"cursor": field.caseworker.cursor}
    )
    body = assert_problem(response, 409, "resync-required")
    assert body["action"] == "re-push-then-resync"
    garbage = await client.get(PULL, headers=field.caseworker.headers, params={"cursor": "bm9wZQ"})
    assert_problem(garbage, 422, "validation")


async def test_pull_pages_deliver_every_change_exactly_once(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    for _ in range(3):
        await field.caseworker.push(full_case(field.operation_id))
    paged = await field.coordinator.pull_all(limit=4)
    ids = [c["id"] for c in paged]
    assert len(ids) == len(set(ids)) == 15  # 3 x 6 records, less the accounts (no phone holds one)


async def test_one_audit_entry_per_batch(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    from backend.db.models import AuditEntry

    field = await field_operation(client, accounts)
    await field.caseworker.push(full_case(field.operation_id) + full_case(field.operation_id))
    async with read_transaction(runtime.db) as session:
        actions = (
            (
                await session.execute(
                    select(AuditEntry.action).where(AuditEntry.action == "sync.push")
                )
            )
            .scalars()
            .all()
        )
    assert actions == ["sync.push"]


async def test_disclosed_wallets_are_checked_but_kept_as_entered(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55's published example
    typo = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"  # one letter's case changed
    wallet = {"case_id": str(case_id), "kind": "wallet", "role": "scam_collection"}
    results = await field.caseworker.push(
        [
            mutation("case", case_id, case_data(field.operation_id)),
            mutation("disclosure", uuid.uuid4(), {**wallet, "raw": good}),
            mutation("disclosure", uuid.uuid4(), {**wallet, "raw": typo}),
        ]
    )
    assert [r["status"] for r in results] == ["applied"] * 3  # an invalid address never rejects
    pulled = {
        c["data"]["raw"]: c
        for c in await field.coordinator.pull_all()
        if c["entity"] == "disclosure"
    }
    assert pulled[good]["facets"]["check"] == "valid"
    assert pulled[good]["facets"]["chains"] == ["ethereum"]
    assert pulled[typo]["facets"]["check"] == "invalid"
    assert pulled[typo]["facets"]["check_code"] == "mixed_case_checksum"


async def test_two_devices_creating_the_same_record_at_once_get_applied_and_conflict(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    mine = mutation("case", case_id, case_data(field.operation_id, family_name="Mine"))
    theirs = mutation("case", case_id, case_data(field.operation_id, family_name="Theirs"))
    one, two = await asyncio.gather(field.caseworker.push([mine]), field.coordinator.push([theirs]))
    assert sorted([one[0]["status"], two[0]["status"]]) == ["applied", "conflict"]
    assert await _count(runtime, Record) == 1
