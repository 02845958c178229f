"""The triage projection holds, for every live case, exactly the line its records' facets make.

Random pushes (creates, updates, deletes, screenings completed, referrals moved)
are compared with the line computed from the records themselves, and with a
rebuild from scratch; erasure and transfer move the line as they move the case.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from click.testing import CliRunner
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from backend.cases.projection import rebuild
from backend.cases.services import CaseService
from backend.cli import main
from backend.db.models import CaseTriage, Record, ServerState
from backend.db.session import read_transaction, write_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import case_data, field_operation, full_case, mutation, now
from tests.conftest import Accounts

TRIAGE = "/api/v1/cases"


async def _projected(runtime: Runtime, operation_id: str) -> dict[str, tuple[Any, ...]]:
    async with read_transaction(runtime.db) as session:
        rows = await session.scalars(
            select(CaseTriage).where(CaseTriage.operation_id == uuid.UUID(operation_id))
        )
        return {
            str(r.case_id): (r.band, r.flags, r.referral_statuses, r.urgency, r.age_group)
            for r in rows
        }


async def _from_records(runtime: Runtime, operation_id: str) -> dict[str, tuple[Any, ...]]:
    async with read_transaction(runtime.db) as session:
        records = list(
            await session.scalars(
                select(Record).where(
                    Record.operation_id == uuid.UUID(operation_id), Record.deleted.is_(False)
                )
            )
        )
    lines = CaseService.triage_lines(records, {})
    return {
        str(line.id): (
            line.band,
            "," + "".join(f"{f}," for f in line.flags),
            "," + "".join(f"{s}," for s in line.referral_statuses),
            line.urgency,
            line.age_group,
        )
        for line, _ in lines
    }


def _screening(case_id: uuid.UUID, age: int, needs: bool) -> dict[str, Any]:
    answers: dict[str, Any] = {"age_years": {"value": age}}
    if needs:
        answers["injured_needs_care"] = {"value": "yes"}
    return mutation(
        "screening",
        uuid.uuid4(),
        {
            "case_id": str(case_id),
            "instrument_key": "scam_compound",
            "instrument_version": 2,
            "locale": "en",
            "answers": answers,
            "started_at": now(),
            "completed_at": now(),
        },
    )


_STEP = st.one_of(
    st.tuples(st.just("screen"), st.integers(10, 40), st.booleans()),
    st.tuples(st.just("refer"), st.sampled_from(["proposed", "accepted"]), st.none()),
    st.tuples(st.just("decline"), st.none(), st.none()),
    st.tuples(st.just("delete_case"), st.none(), st.none()),
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=st.lists(st.tuples(st.integers(0, 2), _STEP), min_size=1, max_size=8))
async def test_the_projection_is_the_line_the_records_make(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, plan: list[Any]
) -> None:
    field = await field_operation(client, accounts)
    cases = [uuid.uuid4() for _ in range(3)]
    await field.caseworker.push(
        [
            mutation("case", c, case_data(field.operation_id, f"TP0{n}-AAAA"))
            for n, c in enumerate(cases)
        ]
    )
    referrals: dict[uuid.UUID, uuid.UUID] = {}
    for which, (kind, a, b) in plan:
        case_id = cases[which]
        if kind == "screen":
            await field.caseworker.push([_screening(case_id, a, b)])
        elif kind == "refer":
            referral = uuid.uuid4()
            referrals[case_id] = referral
            await field.caseworker.push(
                [
                    mutation(
                        "referral",
                        referral,
                        {"case_id": str(case_id), "service": "shelter", "status": a},
                    )
                ]
            )
        elif kind == "decline" and case_id in referrals:
            await field.coordinator.push(
                [mutation("referral", referrals[case_id], {"status": "declined"}, base_rev=1)]
            )
        elif kind == "delete_case":
            await field.caseworker.push([mutation("case", case_id, {}, op="delete", base_rev=1)])
    projected = await _projected(runtime, field.operation_id)
    assert projected == await _from_records(runtime, field.operation_id)
    async with write_transaction(runtime.db) as session:
        await rebuild(session)
    assert await _projected(runtime, field.operation_id) == projected


async def test_triage_pages_and_totals_come_from_the_projection(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    for _ in range(7):
        await field.caseworker.push(full_case(field.operation_id))
    headers = field.coordinator_headers
    first = await client.get(TRIAGE, headers=headers, params={"limit": 3})
    second = await client.get(TRIAGE, headers=headers, params={"limit": 3, "offset": 3})
    assert first.status_code == second.status_code == 200
    ids = [line["id"] for line in first.json() + second.json()]
    assert len(ids) == len(set(ids)) == 6
    children = await client.get(TRIAGE, headers=headers, params={"flag": "child"})
    assert len(children.json()) == 7  # every full case is a 16-year-old


async def test_erasure_and_transfer_move_the_line_with_the_case(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    other = await field_operation(client, accounts)
    kept, erased = uuid.uuid4(), uuid.uuid4()
    await field.caseworker.push(full_case(field.operation_id, kept))
    await field.caseworker.push(full_case(field.operation_id, erased))
    assert set(await _projected(runtime, field.operation_id)) == {str(kept), str(erased)}
    gone = await client.delete(
        f"/api/v1/cases/{erased}", headers=field.coordinator_headers, params={"reason": "duplicate"}
    )
    assert gone.status_code == 200, gone.text
    assert set(await _projected(runtime, field.operation_id)) == {str(kept)}
    offered = await client.post(
        f"/api/v1/cases/{kept}/transfers",
        headers=field.coordinator_headers,
        json={"to_operation": other.operation_id},
    )
    assert offered.status_code == 201, offered.text
    accepted = await client.post(
        f"/api/v1/transfers/{offered.json()['id']}/accept", headers=other.coordinator_headers
    )
    assert accepted.status_code == 200, accepted.text
    assert await _projected(runtime, field.operation_id) == {}
    assert set(await _projected(runtime, other.operation_id)) == {str(kept)}


async def test_db_upgrade_fills_the_projection_once(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, settings_env: dict[str, str]
) -> None:
    """Data from before the projection existed gets its lines from `lantern db upgrade`."""
    field = await field_operation(client, accounts)
    await field.caseworker.push(full_case(field.operation_id))
    before = await _projected(runtime, field.operation_id)
    assert len(before) == 1
    async with write_transaction(runtime.db) as session:  # as a database just migrated to 0015
        await session.execute(delete(CaseTriage))
        await session.execute(delete(ServerState).where(ServerState.key == "triage_built"))
    upgrade = await asyncio.to_thread(CliRunner().invoke, main, ["db", "upgrade"], env=settings_env)
    assert upgrade.exit_code == 0, upgrade.output
    assert "triage lines computed for" in upgrade.output
    assert await _projected(runtime, field.operation_id) == before
    again = await asyncio.to_thread(CliRunner().invoke, main, ["db", "upgrade"], env=settings_env)
    assert "triage lines computed" not in again.output  # once only
