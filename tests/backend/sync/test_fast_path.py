"""The push fast path (a batch applied in bulk) and pull's scope applied in SQL.

The fast path writes a batch of plain creates with one statement per table;
anything else in the batch, and the whole batch when a concurrent push gets
in the way, takes the slow path of one savepoint per mutation. These tests
pin the cost (statements per batch), the fallback under real concurrency,
and that the fast path keeps every promise of the slow one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import event, func, select

from backend.db.models import Change, Mutation, Record
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import (
    Device,
    case_data,
    field_operation,
    full_case,
    mutation,
)
from tests.conftest import Accounts


@contextmanager
def counted_statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the server runs inside the block."""
    seen: list[str] = []
    engine = runtime.db.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _count(runtime: Runtime, model: type) -> int:
    async with read_transaction(runtime.db) as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_batch_of_creates_costs_a_few_statements_not_a_few_per_mutation(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    batch = [m for _ in range(20) for m in full_case(field.operation_id)]  # 120 mutations
    with counted_statements(runtime) as statements:
        results = await field.caseworker.push(batch)
    assert [r["status"] for r in results] == ["applied"] * len(batch)
    # The slow path ran about ten statements per mutation (over 1,000 here).
    assert len(statements) < 30, "\n".join(s[:90] for s in statements)
    assert await _count(runtime, Record) == len(batch)
    assert await _count(runtime, Mutation) == len(batch)
    assert await _count(runtime, Change) == len(batch)
    changes = await field.coordinator.pull_all()
    assert len(changes) == len([m for m in batch if m["entity"] != "account"])  # no phone holds one
    assert {c["rev"] for c in changes} == {1}


async def test_a_batch_mixing_creates_updates_and_bad_records_keeps_its_order_of_effects(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    create = mutation("case", case_id, case_data(field.operation_id))
    update = mutation("case", case_id, {"family_name": "Renamed-Fake"}, base_rev=1)
    bad = mutation("case", uuid.uuid4(), case_data(field.operation_id, age_estimate=-1))
    orphan_id = uuid.uuid4()  # a consent for a case rejected earlier in the batch
    orphan = mutation(
        "consent",
        uuid.uuid4(),
        {
            "case_id": bad["id"],
            "purpose": "services",
            "state": "given",
            "recorded_at": "2026-11-30T08:00:00+00:00",
        },
    )
    orphan["id"] = str(orphan_id)
    later = mutation("case", uuid.uuid4(), case_data(field.operation_id, code="ZZ11-YY22"))
    results = await field.caseworker.push([create, update, bad, orphan, later])
    assert [r["status"] for r in results] == [
        "applied",
        "applied",
        "rejected",
        "waiting",
        "applied",
    ]
    assert results[1]["rev"] == 2  # the update applied after the create it follows
    pulled = {c["id"]: c for c in await field.caseworker.pull_all()}
    assert pulled[str(case_id)]["data"]["family_name"] == "Renamed-Fake"
    assert later["id"] in pulled and bad["id"] not in pulled


async def test_two_devices_creating_the_same_hundred_records_at_once_fall_back_cleanly(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """On PostgreSQL the second bulk write meets the first one's rows and falls back."""
    field = await field_operation(client, accounts)
    ids = [uuid.uuid4() for _ in range(100)]
    mine = [mutation("case", i, case_data(field.operation_id, family_name="Fake-A")) for i in ids]
    theirs = [mutation("case", i, case_data(field.operation_id, family_name="Fake-B")) for i in ids]
    one, other = await asyncio.gather(field.caseworker.push(mine), field.coordinator.push(theirs))
    statuses = sorted({r["status"] for r in one} | {r["status"] for r in other})
    assert statuses == ["applied", "conflict"], statuses
    winner, loser = (one, other) if one[0]["status"] == "applied" else (other, one)
    assert {r["status"] for r in winner} == {"applied"}
    assert {r["status"] for r in loser} == {"conflict"}  # the device's names are kept
    assert await _count(runtime, Record) == 100
    assert await _count(runtime, Mutation) == 200


async def test_a_caseworkers_pull_pages_are_full_of_what_they_may_hold(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Scope is applied in the query: a page is not thinned out by records the phone may not hold."""
    field = await field_operation(client, accounts)
    # The coordinator's cases: the caseworker holds each case's facets only, never
    # their consents, screenings, accounts or disclosures (five of six changes).
    batch = [m for _ in range(10) for m in full_case(field.operation_id)]
    assert {r["status"] for r in await field.coordinator.push(batch)} == {"applied"}
    pages: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(
            "/api/v1/sync/pull", headers=field.caseworker.headers, params=params
        )
        body = response.json()
        pages.append(len(body["changes"]))
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert sum(pages) == 10
    assert pages[:3] == [3, 3, 3], pages
    assert pages[3] in (1, 0)


async def test_taking_a_devices_assignee_in_a_conflict_moves_the_case_between_phones(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Resolving a conflict on ``assigned_to`` is a reassignment: the former assignee's phones drop it."""
    field = await field_operation(client, accounts)
    helper = await accounts.create("caseworker")
    await client.post(
        f"/api/v1/operations/{field.operation_id}/members",
        headers=field.coordinator_headers,
        json={"user_id": str(helper.id)},
    )
    phone = uuid.uuid4()
    helper_phone = Device(client, phone, await accounts.headers(helper, device_id=phone), helper.id)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    # The coordinator assigns the case to the helper; its creator's phone, from rev 1,
    # to the creator.
    await field.coordinator.push(
        [mutation("case", case_id, {"assigned_to": str(helper.id)}, base_rev=1)]
    )
    helper_view = [c for c in await helper_phone.pull_all() if c["id"] == str(case_id)]
    assert helper_view[-1]["data"]["assigned_to"] == str(helper.id)
    clash = await field.caseworker.push(
        [mutation("case", case_id, {"assigned_to": str(field.caseworker.user_id)}, base_rev=1)]
    )
    assert clash[0]["status"] == "conflict"
    conflict_id = clash[0]["conflicts"][0]["conflict_id"]
    resolved = await client.post(
        f"/api/v1/sync/conflicts/{conflict_id}/resolve",
        headers=field.coordinator_headers,
        json={"keep": "device"},
    )
    assert resolved.status_code == 204
    after = [c for c in await helper_phone.pull_all() if c["id"] == str(case_id)]
    assert {"entity": "case", "id": str(case_id), "op": "purge", "rev": 3} in after
    mine = [c for c in await field.caseworker.pull_all() if c["id"] == str(case_id)]
    assert mine[-1]["data"]["assigned_to"] == str(field.caseworker.user_id)


async def test_a_pull_page_walks_the_change_log_in_order_and_stops_at_its_size(
    runtime: Runtime,
) -> None:
    """No page query collects and sorts every change after the cursor (each page would cost
    as much as the whole remaining log: quadratic for a device pulling from the start)."""
    if not runtime.db.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's plan depends on its statistics")
    from sqlalchemy.dialects import sqlite

    from backend.sync.repositories import _PAGE_QUERIES

    async with read_transaction(runtime.db) as session:
        for key, query in _PAGE_QUERIES.items():
            compiled = str(query.compile(dialect=sqlite.dialect()))
            # An expanding list (the caller's operations) as two values.
            compiled = compiled.replace("__[POSTCOMPILE_operations]", "?, ?")
            connection = await session.connection()
            raw = await connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + compiled, tuple([1] * compiled.count("?"))
            )
            plan = " | ".join(str(row[-1]) for row in raw)
            assert "TEMP B-TREE" not in plan, (key, plan)
            assert "USING INDEX ix_sync_changes_" in plan, (key, plan)


async def test_a_mutation_sent_twice_in_one_batch_is_applied_then_a_duplicate(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    create = mutation("case", uuid.uuid4(), case_data(field.operation_id))
    results = await field.caseworker.push([create, create])
    assert [r["status"] for r in results] == ["applied", "duplicate"]
    assert results[1]["rev"] == results[0]["rev"] == 1
    assert await _count(runtime, Record) == 1
    assert await _count(runtime, Mutation) == 1
