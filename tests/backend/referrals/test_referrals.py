"""Referrals: the workflow, its history, consent, phones seeing each step, concurrency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from httpx import AsyncClient

from backend.runtime import Runtime
from tests.backend.referrals.support import consent, provider
from tests.backend.sync.support import (
    FAKE_DOCUMENT,
    FAKE_PHONE,
    Field,
    case_data,
    field_operation,
    mutation,
)
from tests.conftest import Accounts, assert_problem

CASES = "/api/v1/cases"
REFERRALS = "/api/v1/referrals"


async def _case(field: Field, *consents: dict[str, Any]) -> uuid.UUID:
    case_id = uuid.uuid4()
    batch = [mutation("case", case_id, case_data(field.operation_id))]
    batch += [{**c, "data": {**c["data"], "case_id": str(case_id)}} for c in consents]
    results = await field.caseworker.push(batch)
    assert {r["status"] for r in results} == {"applied"}, results
    return case_id


async def _refer(client: AsyncClient, field: Field, case_id: uuid.UUID, **body: Any) -> Any:
    return await client.post(
        f"{CASES}/{case_id}/referrals",
        headers=field.coordinator_headers,
        json={"service": "shelter", **body},
    )


async def _move(
    client: AsyncClient, field: Field, referral_id: str, status: str, **extra: Any
) -> Any:
    return await client.post(
        f"{REFERRALS}/{referral_id}/transitions",
        headers=field.coordinator_headers,
        json={"status": status, **extra},
    )


async def test_a_referral_moves_through_the_workflow_with_its_history(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _case(field, consent(uuid.uuid4(), "services", "given"))
    shelter = await provider(client, field)
    created = await _refer(client, field, case_id, provider_id=shelter, note="needs a quiet room")
    assert created.status_code == 201, created.text
    referral = created.json()
    assert referral["status"] == "proposed" and referral["provider_id"] == shelter
    for status in ("accepted", "in_progress", "completed"):
        moved = await _move(client, field, referral["id"], status)
        assert moved.status_code == 200, moved.text
    final = (
        await client.get(f"{REFERRALS}/{referral['id']}", headers=field.coordinator_headers)
    ).json()
    assert final["status"] == "completed" and final["rev"] == 4
    steps = [(s["from_status"], s["to_status"]) for s in final["history"]]
    assert steps == [
        (None, "proposed"),
        ("proposed", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert {s["actor_id"] for s in final["history"]} == {str(field.coordinator.user_id)}


async def test_illegal_moves_are_409_naming_the_field(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _case(field)
    referral = (await _refer(client, field, case_id)).json()
    for status in ("in_progress", "completed", "proposed"):
        refused = await _move(client, field, referral["id"], status)
        body = assert_problem(refused, 409, "conflict")
        assert body["errors"][0]["field"] == "status"  # type: ignore[index]
    assert (await _move(client, field, referral["id"], "declined")).status_code == 200
    for status in ("accepted", "declined", "completed"):
        assert_problem(await _move(client, field, referral["id"], status), 409, "conflict")
    stale = await _case(field)
    other = (await _refer(client, field, stale)).json()
    refused = await _move(client, field, other["id"], "accepted", rev=7)
    assert assert_problem(refused, 409, "conflict")["errors"][0]["field"] == "rev"  # type: ignore[index]


async def test_phones_see_each_step_by_pull(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    case_id = await _case(field)
    await field.caseworker.pull_all()
    referral = (await _refer(client, field, case_id, service="medical")).json()
    pulled = await field.caseworker.pull_all()
    assert [(c["id"], c["data"]["status"]) for c in pulled] == [(referral["id"], "proposed")]
    await _move(client, field, referral["id"], "accepted")
    pulled = await field.caseworker.pull_all()
    assert [(c["id"], c["rev"], c["data"]["status"]) for c in pulled] == [
        (referral["id"], 2, "accepted")
    ]
    # The phone's own update merges with the server's step (different fields).
    noted = await field.caseworker.push(
        [mutation("referral", uuid.UUID(referral["id"]), {"note": "bus at 9"}, base_rev=2)]
    )
    assert noted[0]["status"] == "applied", noted


async def test_an_outside_provider_needs_services_consent_and_withdrawal_stops_it(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    shelter = await provider(client, field)
    inside = await provider(client, field, outside=False)
    refused_case = await _case(field, consent(uuid.uuid4(), "services", "refused"))
    refused = await _refer(client, field, refused_case, provider_id=shelter)
    assert_problem(refused, 409, "consent-required")
    assert (await _refer(client, field, refused_case, provider_id=inside)).status_code == 201
    statistics_only = await _case(field, consent(uuid.uuid4(), "aggregate_statistics", "given"))
    assert_problem(
        await _refer(client, field, statistics_only, provider_id=shelter), 409, "consent-required"
    )

    case_id = await _case(field, consent(uuid.uuid4(), "services", "given"))
    referral = (await _refer(client, field, case_id, provider_id=shelter)).json()
    package = await client.get(
        f"{REFERRALS}/{referral['id']}/package", headers=field.coordinator_headers
    )
    assert package.status_code == 200, package.text
    withdrawn = consent(case_id, "services", "withdrawn", minutes=5)
    assert (await field.caseworker.push([withdrawn]))[0]["status"] == "applied"
    assert_problem(await _move(client, field, referral["id"], "accepted"), 409, "consent-required")
    assert_problem(
        await client.get(
            f"{REFERRALS}/{referral['id']}/package", headers=field.coordinator_headers
        ),
        409,
        "consent-required",
    )
    assert (await _move(client, field, referral["id"], "declined")).status_code == 200
    # Given again: a new record that names the withdrawal it supersedes (without it,
    # the withdrawal would stand: a phone that never saw it cannot undo it).
    given_again = consent(case_id, "services", "given", minutes=10)
    given_again["data"]["supersedes"] = withdrawn["id"]
    assert (await field.caseworker.push([given_again]))[0]["status"] == "applied"
    again = (await _refer(client, field, case_id, provider_id=shelter)).json()
    assert (await _move(client, field, again["id"], "accepted")).status_code == 200


async def test_the_package_holds_exactly_what_services_consent_covers(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _case(field, consent(uuid.uuid4(), "services", "given"))
    referral = (
        await _refer(client, field, case_id, provider_id=await provider(client, field))
    ).json()
    package = (
        await client.get(f"{REFERRALS}/{referral['id']}/package", headers=field.coordinator_headers)
    ).json()
    assert set(package) == {
        "referral_id",
        "service",
        "provider_id",
        "case_code",
        "given_names",
        "family_name",
        "sex",
        "age_group",
        "nationality",
        "languages",
        "needs",
    }
    text = str(package)
    assert FAKE_DOCUMENT not in text and FAKE_PHONE not in text and "1999" not in text


async def test_a_referral_outside_my_operations_is_not_found(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _case(field)
    referral = (await _refer(client, field, case_id)).json()
    other = await field_operation(client, accounts)
    for call in (
        client.get(f"{REFERRALS}/{referral['id']}", headers=other.coordinator_headers),
        client.post(
            f"{REFERRALS}/{referral['id']}/transitions",
            headers=other.coordinator_headers,
            json={"status": "accepted"},
        ),
        client.post(
            f"{CASES}/{case_id}/referrals",
            headers=other.coordinator_headers,
            json={"service": "shelter"},
        ),
    ):
        assert_problem(await call, 404, "not-found")


async def test_concurrent_moves_of_one_referral_do_not_both_win(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _case(field)
    for _ in range(3):
        referral = (await _refer(client, field, case_id)).json()
        same = await asyncio.gather(
            *(_move(client, field, referral["id"], "accepted") for _ in range(4))
        )
        assert sorted(r.status_code for r in same) == [200, 409, 409, 409]
        declined_or_started = await asyncio.gather(
            _move(client, field, referral["id"], "declined", rev=2),
            _move(client, field, referral["id"], "in_progress", rev=2),
        )
        assert sorted(r.status_code for r in declined_or_started) == [200, 409]
        final = (
            await client.get(f"{REFERRALS}/{referral['id']}", headers=field.coordinator_headers)
        ).json()
        assert final["rev"] == 3 and len(final["history"]) == 3
