"""Consent at every exit: the rule (latest record wins) and every exit this side owns."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from httpx import AsyncClient
from hypothesis import given
from hypothesis import strategies as st

from backend.access.policy import ConsentFact, consent_in_force
from backend.consent.services import ConsentService
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.referrals.support import consent, provider
from tests.backend.sync.support import case_data, field_operation, mutation
from tests.conftest import Accounts, assert_problem

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _fact(purpose: str, state: str, minute: int, received: int = 0) -> ConsentFact:
    return ConsentFact(
        purpose=purpose,
        state=state,
        recorded_at=T0 + dt.timedelta(minutes=minute),
        created_at=T0 + dt.timedelta(minutes=received),
        record_id=uuid.uuid4(),
    )


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ([], False),
        ([_fact("services", "given", 0)], True),
        ([_fact("services", "refused", 0)], False),
        ([_fact("services", "given", 0), _fact("services", "withdrawn", 1)], False),
        ([_fact("services", "withdrawn", 1), _fact("services", "given", 0)], False),
        ([_fact("services", "withdrawn", 0), _fact("services", "given", 1)], True),
        ([_fact("aggregate_statistics", "given", 0)], False),  # another purpose
        # Recorded at the same moment: the one the server received last wins.
        ([_fact("services", "given", 0, 0), _fact("services", "withdrawn", 0, 1)], False),
    ],
)
def test_the_latest_consent_for_the_purpose_wins(facts: list[ConsentFact], expected: bool) -> None:
    assert consent_in_force(facts, "services") is expected


@given(
    st.lists(
        st.tuples(st.sampled_from(["given", "refused", "withdrawn"]), st.integers(0, 10_000)),
        min_size=1,
        max_size=12,
        unique_by=lambda t: t[1],
    )
)
def test_the_order_records_arrive_in_does_not_matter(records: list[tuple[str, int]]) -> None:
    facts = [_fact("services", state, minute) for state, minute in records]
    latest = max(records, key=lambda r: r[1])[0]
    assert consent_in_force(facts, "services") is (latest == "given")
    assert consent_in_force(list(reversed(facts)), "services") is (latest == "given")


async def test_withdrawal_closes_every_exit_on_the_next_query(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Referral, onward move, package, summary (JSON and CSV): each asks again after withdrawal."""
    field = await field_operation(client, accounts)
    shelter = await provider(client, field)
    cases = [uuid.uuid4() for _ in range(5)]
    batch = []
    for case_id in cases:
        batch += [
            mutation("case", case_id, case_data(field.operation_id)),
            consent(case_id, "services", "given"),
            consent(case_id, "aggregate_statistics", "given"),
        ]
    assert {r["status"] for r in await field.caseworker.push(batch)} == {"applied"}
    target = cases[0]
    headers = field.coordinator_headers
    referral = await client.post(
        f"/api/v1/cases/{target}/referrals",
        headers=headers,
        json={"service": "shelter", "provider_id": shelter},
    )
    assert referral.status_code == 201, referral.text
    referral_id = referral.json()["id"]
    package = f"/api/v1/referrals/{referral_id}/package"
    summary = f"/api/v1/operations/{field.operation_id}/summary"
    assert (await client.get(package, headers=headers)).status_code == 200
    # A release is served (its total is hidden: one case has a referral, the other four not,
    # and every table shares the total; see docs/statistics.md).
    assert (await client.get(summary, headers=headers)).json()["released_at"] is not None
    async with read_transaction(runtime.db) as session:
        assert await ConsentService(session).consented(target, "services")

    withdrawals = [
        consent(target, "services", "withdrawn", minutes=5),
        consent(target, "aggregate_statistics", "withdrawn", minutes=5),
    ]
    assert {r["status"] for r in await field.caseworker.push(withdrawals)} == {"applied"}

    async with read_transaction(runtime.db) as session:
        assert not await ConsentService(session).consented(target, "services")
        assert not await ConsentService(session).consented(target, "aggregate_statistics")
    assert_problem(await client.get(package, headers=headers), 409, "consent-required")
    assert_problem(
        await client.post(
            f"/api/v1/referrals/{referral_id}/transitions",
            headers=headers,
            json={"status": "accepted"},
        ),
        409,
        "consent-required",
    )
    assert_problem(
        await client.post(
            f"/api/v1/cases/{target}/referrals",
            headers=headers,
            json={"service": "shelter", "provider_id": shelter},
        ),
        409,
        "consent-required",
    )
    after = (await client.get(summary, headers=headers)).json()
    assert after["released_at"] is None  # the release that counted them is withheld
    assert all(table["total"] is None for table in after["tables"])
    exported = await client.get(summary, headers=headers, params={"format": "csv"})
    assert "Total,[c]" in exported.text and "Total,5" not in exported.text
