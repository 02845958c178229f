"""Coordinators' triage and the decrypted case: scope, urgency, filters, audit."""

from __future__ import annotations

import json
import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from backend.db.models import AuditEntry
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import (
    FAKE_ACCOUNT,
    FAKE_GIVEN,
    case_data,
    field_operation,
    mutation,
    now,
)
from tests.conftest import Accounts, assert_problem

CASES = "/api/v1/cases"


def _screening(case_id: uuid.UUID, answers: dict[str, Any]) -> dict[str, Any]:
    return mutation(
        "screening",
        uuid.uuid4(),
        {
            "case_id": str(case_id),
            "instrument_key": "scam_compound",
            "instrument_version": 2,
            "locale": "en",
            "answers": {k: {"value": v} for k, v in answers.items()},
            "started_at": now(),
            "completed_at": now(),
        },
    )


async def _seed(field: Any) -> dict[str, uuid.UUID]:
    ids = {name: uuid.uuid4() for name in ("adult", "child", "needs_child", "th_adult")}
    batch = [
        mutation(
            "case",
            ids["adult"],
            case_data(field.operation_id, code="ADLT-0001", date_of_birth="1990-01-01"),
        ),
        mutation(
            "case",
            ids["child"],
            case_data(field.operation_id, code="CHLD-0001", date_of_birth=None, age_estimate=15),
        ),
        mutation(
            "case",
            ids["needs_child"],
            case_data(field.operation_id, code="NEED-0001", date_of_birth=None, age_estimate=14),
        ),
        mutation(
            "case",
            ids["th_adult"],
            case_data(
                field.operation_id, code="THAI-0001", nationality="TH", date_of_birth="1985-05-05"
            ),
        ),
        _screening(ids["child"], {"age_years": 15}),
        _screening(ids["needs_child"], {"age_years": 14, "hurt_now": "yes"}),
        mutation(
            "referral",
            uuid.uuid4(),
            {"case_id": str(ids["adult"]), "service": "shelter", "status": "accepted"},
        ),
        mutation(
            "consent",
            uuid.uuid4(),
            {
                "case_id": str(ids["adult"]),
                "purpose": "aggregate_statistics",
                "state": "given",
                "recorded_at": now(),
            },
        ),
        mutation("account", uuid.uuid4(), {"case_id": str(ids["adult"]), "text": FAKE_ACCOUNT}),
    ]
    results = await field.caseworker.push(batch)
    assert {r["status"] for r in results} == {"applied"}, results
    return ids


async def test_triage_puts_a_child_with_immediate_needs_first(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    listed = await client.get(CASES, headers=field.coordinator_headers)
    assert listed.status_code == 200, listed.text
    lines = listed.json()
    assert [line["id"] for line in lines][:2] == [str(ids["needs_child"]), str(ids["child"])]
    assert all(FAKE_GIVEN not in json.dumps(line) for line in lines)  # no identity in the list
    needs = lines[0]
    assert {"child", "immediate_needs"} <= set(needs["flags"]) and needs["urgency"] == 0


async def test_triage_filters(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)

    async def ids_for(**params: str) -> set[str]:
        response = await client.get(CASES, headers=field.coordinator_headers, params=params)
        assert response.status_code == 200, response.text
        return {line["id"] for line in response.json()}

    assert await ids_for(flag="child") == {str(ids["child"]), str(ids["needs_child"])}
    assert await ids_for(age_group="adult") == {str(ids["adult"]), str(ids["th_adult"])}
    assert await ids_for(nationality="TH") == {str(ids["th_adult"])}
    assert await ids_for(referral_status="accepted") == {str(ids["adult"])}
    assert await ids_for(consent_purpose="aggregate_statistics", consent_state="given") == {
        str(ids["adult"])
    }
    assert await ids_for(operation_id=field.operation_id) == {str(i) for i in ids.values()}
    refused = await client.get(
        CASES, headers=field.coordinator_headers, params={"operation_id": str(uuid.uuid4())}
    )
    assert_problem(refused, 404, "not-found")


async def test_opening_a_case_decrypts_it_and_is_audited(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    opened = await client.get(
        f"{CASES}/{ids['adult']}", headers=field.coordinator_headers, params={"purpose": "referral"}
    )
    assert opened.status_code == 200, opened.text
    detail = opened.json()
    assert detail["case"]["data"]["given_names"] == FAKE_GIVEN
    assert detail["accounts"][0]["data"]["text"] == FAKE_ACCOUNT
    assert detail["referrals"][0]["facets"]["status"] == "accepted"
    async with read_transaction(runtime.db) as session:
        rows = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "case.read")))
            .scalars()
            .all()
        )
    assert [(r.object_id, json.loads(r.detail)["purpose"]) for r in rows] == [
        (str(ids["adult"]), "referral")
    ]


async def test_another_operations_coordinator_is_refused_and_audited(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    ids = await _seed(field)
    _, stranger = await accounts.signed_in("coordinator")
    assert (await client.get(CASES, headers=stranger)).json() == []
    refused = await client.get(f"{CASES}/{ids['adult']}", headers=stranger)
    assert_problem(refused, 404, "not-found")
    for role in ("caseworker", "investigator", "admin"):
        _, headers = await accounts.signed_in(role)
        assert_problem(
            await client.get(f"{CASES}/{ids['adult']}", headers=headers), 403, "forbidden"
        )
    async with read_transaction(runtime.db) as session:
        denied = (
            (await session.execute(select(AuditEntry.action).where(AuditEntry.outcome == "denied")))
            .scalars()
            .all()
        )
    assert "case.read" in denied and denied.count("authz.denied") == 3


async def test_a_case_shows_its_conflicts_and_quarantine(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    await field.coordinator.push([mutation("case", case_id, {"family_name": "A"}, base_rev=1)])
    await field.caseworker.push([mutation("case", case_id, {"family_name": "B"}, base_rev=1)])
    await field.caseworker.push(
        [
            mutation(
                "referral",
                uuid.uuid4(),
                {"case_id": str(case_id), "service": "spa", "status": "proposed"},
            )
        ]
    )
    detail = (await client.get(f"{CASES}/{case_id}", headers=field.coordinator_headers)).json()
    assert [c["field"] for c in detail["conflicts"]] == ["family_name"]
    assert [q["entity"] for q in detail["quarantine"]] == ["referral"]
