"""Transfer: proposed by the source, effective on acceptance; phones on both sides follow."""

from __future__ import annotations

import asyncio
import uuid

from httpx import AsyncClient
from sqlalchemy import select

from backend.db.models import Conflict, Record
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import FAKE_GIVEN, Field, field_operation, full_case, mutation
from tests.conftest import Accounts, assert_problem

TRANSFERS = "/api/v1/transfers"


async def _two_operations(
    client: AsyncClient, accounts: Accounts
) -> tuple[Field, Field, uuid.UUID]:
    source = await field_operation(client, accounts)
    target = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    results = await source.caseworker.push(full_case(source.operation_id, case_id))
    assert {r["status"] for r in results} == {"applied"}, results
    return source, target, case_id


async def _propose(client: AsyncClient, source: Field, target: Field, case_id: uuid.UUID) -> str:
    proposed = await client.post(
        f"/api/v1/cases/{case_id}/transfers",
        headers=source.coordinator_headers,
        json={"to_operation": target.operation_id},
    )
    assert proposed.status_code == 201, proposed.text
    transfer_id: str = proposed.json()["id"]
    return transfer_id


async def test_an_accepted_transfer_moves_the_case_off_the_old_phones_onto_the_new(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    source, target, case_id = await _two_operations(client, accounts)
    # A conflict that must follow the case.
    await source.coordinator.push([mutation("case", case_id, {"family_name": "A"}, base_rev=1)])
    await source.caseworker.push([mutation("case", case_id, {"family_name": "B"}, base_rev=1)])
    for device in (source.caseworker, source.coordinator, target.caseworker, target.coordinator):
        await device.pull_all()

    transfer_id = await _propose(client, source, target, case_id)
    # Nothing moves before the target accepts.
    assert await source.caseworker.pull_all() == []
    assert await target.coordinator.pull_all() == []
    listed = await client.get(TRANSFERS, headers=target.coordinator_headers)
    assert [t["id"] for t in listed.json()] == [transfer_id]
    outgoing = await client.get(
        TRANSFERS, headers=source.coordinator_headers, params={"direction": "outgoing"}
    )
    assert [t["status"] for t in outgoing.json()] == ["pending"]

    accepted = await client.post(
        f"{TRANSFERS}/{transfer_id}/accept", headers=target.coordinator_headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"

    for device in (source.caseworker, source.coordinator):
        changes = await device.pull_all()
        assert [(c["id"], c["op"]) for c in changes] == [(str(case_id), "purge")], changes
    arrived = await target.coordinator.pull_all()
    assert {c["entity"] for c in arrived} == {  # no phone holds an account
        "case",
        "consent",
        "screening",
        "disclosure",
        "referral",
    }
    case = next(c for c in arrived if c["id"] == str(case_id))
    assert case["data"]["given_names"] == FAKE_GIVEN
    assert case["data"]["operation_id"] == target.operation_id
    facets_only = await target.caseworker.pull_all()
    assert [(c["entity"], c.get("data")) for c in facets_only] == [("case", None)]

    opened = await client.get(f"/api/v1/cases/{case_id}", headers=target.coordinator_headers)
    assert opened.status_code == 200 and opened.json()["conflicts"]
    gone = await client.get(f"/api/v1/cases/{case_id}", headers=source.coordinator_headers)
    assert_problem(gone, 404, "not-found")
    async with read_transaction(runtime.db) as session:
        operations = set(
            (
                await session.execute(select(Record.operation_id).where(Record.case_id == case_id))
            ).scalars()
        )
        conflict_ops = set(
            (
                await session.execute(
                    select(Conflict.operation_id).where(Conflict.case_id == case_id)
                )
            ).scalars()
        )
    assert operations == conflict_ops == {uuid.UUID(target.operation_id)}
    # The old caseworker can no longer write to it; the new coordinator can.
    # It is answered as an id never seen (another operation's record): it waits, unapplied.
    late = await source.caseworker.push([mutation("case", case_id, {"notes": "x"}, base_rev=3)])
    assert late[0]["status"] == "waiting"
    ok = await target.coordinator.push(
        [mutation("case", case_id, {"notes": "arrived"}, base_rev=3)]
    )
    assert ok[0]["status"] == "applied", ok


async def test_a_declined_transfer_moves_nothing(client: AsyncClient, accounts: Accounts) -> None:
    source, target, case_id = await _two_operations(client, accounts)
    transfer_id = await _propose(client, source, target, case_id)
    declined = await client.post(
        f"{TRANSFERS}/{transfer_id}/decline", headers=target.coordinator_headers
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    again = await client.post(
        f"{TRANSFERS}/{transfer_id}/accept", headers=target.coordinator_headers
    )
    assert_problem(again, 409, "conflict")
    still = await client.get(f"/api/v1/cases/{case_id}", headers=source.coordinator_headers)
    assert still.status_code == 200
    assert await target.coordinator.pull_all() == []


async def test_only_the_target_accepts_and_only_the_source_proposes(
    client: AsyncClient, accounts: Accounts
) -> None:
    source, target, case_id = await _two_operations(client, accounts)
    refused = await client.post(
        f"/api/v1/cases/{case_id}/transfers",
        headers=target.coordinator_headers,
        json={"to_operation": target.operation_id},
    )
    assert_problem(refused, 404, "not-found")
    for body in ({"to_operation": source.operation_id}, {"to_operation": str(uuid.uuid4())}):
        bad = await client.post(
            f"/api/v1/cases/{case_id}/transfers", headers=source.coordinator_headers, json=body
        )
        assert_problem(bad, 422, "validation")
    transfer_id = await _propose(client, source, target, case_id)
    twice = await client.post(
        f"/api/v1/cases/{case_id}/transfers",
        headers=source.coordinator_headers,
        json={"to_operation": target.operation_id},
    )
    assert_problem(twice, 409, "conflict")
    by_source = await client.post(
        f"{TRANSFERS}/{transfer_id}/accept", headers=source.coordinator_headers
    )
    assert_problem(by_source, 404, "not-found")


async def test_two_acceptances_at_once_move_the_case_once(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    source, target, case_id = await _two_operations(client, accounts)
    transfer_id = await _propose(client, source, target, case_id)
    answers = await asyncio.gather(
        client.post(f"{TRANSFERS}/{transfer_id}/accept", headers=target.coordinator_headers),
        client.post(f"{TRANSFERS}/{transfer_id}/accept", headers=target.coordinator_headers),
        client.post(f"{TRANSFERS}/{transfer_id}/decline", headers=target.coordinator_headers),
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    async with read_transaction(runtime.db) as session:
        revs = (
            (await session.execute(select(Record.rev).where(Record.id == case_id))).scalars().all()
        )
    winner = next(a for a in answers if a.status_code == 200).json()["status"]
    assert revs == ([2] if winner == "accepted" else [1])


async def test_erasing_a_case_cancels_its_pending_transfer(
    client: AsyncClient, accounts: Accounts
) -> None:
    source, target, case_id = await _two_operations(client, accounts)
    transfer_id = await _propose(client, source, target, case_id)
    erased = await client.delete(
        f"/api/v1/cases/{case_id}",
        headers=source.coordinator_headers,
        params={"reason": "duplicate"},
    )
    assert erased.status_code == 200
    listed = await client.get(
        TRANSFERS, headers=target.coordinator_headers, params={"status": "cancelled"}
    )
    assert [t["id"] for t in listed.json()] == [transfer_id]
    assert_problem(
        await client.post(f"{TRANSFERS}/{transfer_id}/accept", headers=target.coordinator_headers),
        409,
        "conflict",
    )


async def test_two_offers_of_one_case_at_once_make_one_transfer(
    client: AsyncClient, accounts: Accounts
) -> None:
    source, target, case_id = await _two_operations(client, accounts)
    third = await field_operation(client, accounts)
    offers = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/cases/{case_id}/transfers",
                headers=source.coordinator_headers,
                json={"to_operation": op},
            )
            for op in (target.operation_id, third.operation_id, target.operation_id)
        )
    )
    assert sorted(o.status_code for o in offers) == [201, 409, 409]
    pending = await client.get(
        TRANSFERS, headers=source.coordinator_headers, params={"direction": "outgoing"}
    )
    assert len(pending.json()) == 1
