"""Consent at every exit: the rule (latest record wins) and every exit this side owns."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backend.consent.rules import ConsentRecord, in_force, standing
from backend.consent.services import ConsentService
from backend.db.models import Change, ConsentState
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.referrals.support import consent, provider
from tests.backend.sync.support import case_data, field_operation, mutation
from tests.conftest import Accounts, assert_problem


def _rec(state: str, *, supersedes: ConsentRecord | None = None) -> ConsentRecord:
    return ConsentRecord(
        record_id=uuid.uuid4(),
        purpose="services",
        state=state,
        supersedes=supersedes.record_id if supersedes else None,
    )


_G, _W, _R = _rec("given"), _rec("withdrawn"), _rec("refused")


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], None),
        ([_G], "given"),
        ([_R], "refused"),
        ([_G, _W], "withdrawn"),  # received later wins, whatever the phones' clocks said
        ([_R, _G], "given"),
        # A withdrawal stands until a later record names it in ``supersedes``.
        ([_W, _rec("given")], "withdrawn"),
        ([_W, _rec("given", supersedes=_G)], "withdrawn"),
        ([_W, _rec("given", supersedes=_W)], "given"),
        ([_G, _W, _rec("refused")], "withdrawn"),
    ],
)
def test_the_consent_received_last_stands_and_a_withdrawal_stands_until_superseded(
    history: list[ConsentRecord], expected: str | None
) -> None:
    stands = standing(history).get("services")
    assert (stands.state if stands else None) == expected
    assert in_force(stands.state if stands else None) is (expected == "given")


def test_purposes_are_independent() -> None:
    other = ConsentRecord(record_id=uuid.uuid4(), purpose="aggregate_statistics", state="given")
    stands = standing([_W, other])
    assert stands["services"].state == "withdrawn"
    assert stands["aggregate_statistics"].state == "given"


_STATES = st.sampled_from(["given", "refused", "withdrawn"])


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=st.lists(
        st.tuples(
            st.sampled_from(["services", "aggregate_statistics"]),
            _STATES,
            st.integers(-5, 5),  # the phone's clock: minutes off, any direction
            st.booleans(),  # names the record that stood in ``supersedes``
        ),
        min_size=1,
        max_size=6,
    ),
    batched=st.booleans(),
)
async def test_every_exit_agrees_with_the_rule_for_any_history(
    client: AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    history: list[tuple[str, str, int, bool]],
    batched: bool,
) -> None:
    """Random histories pushed by a phone: triage, the consent service and the summary's
    consent question all answer what the rule folds from the records in receipt order."""
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    stood: dict[str, uuid.UUID] = {}
    records: list[ConsentRecord] = []
    mutations = []
    for purpose, state, skew, supersede in history:
        record_id = uuid.uuid4()
        data: dict[str, object] = {
            "case_id": str(case_id),
            "purpose": purpose,
            "state": state,
            "recorded_at": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=skew)).isoformat(),
        }
        named = stood.get(purpose) if supersede else None
        if named is not None:
            data["supersedes"] = str(named)
        mutations.append(mutation("consent", record_id, data))
        records.append(
            ConsentRecord(record_id=record_id, purpose=purpose, state=state, supersedes=named)
        )
        stood[purpose] = standing(r for r in records if r.purpose == purpose)[purpose].record_id
    if batched:
        results = await field.caseworker.push(mutations)
    else:
        results = [r for m in mutations for r in await field.caseworker.push([m])]
    assert {r["status"] for r in results} == {"applied"}
    expected = {purpose: r.state for purpose, r in standing(records).items()}
    triage = await client.get("/api/v1/cases", headers=field.coordinator_headers)
    assert triage.status_code == 200, triage.text
    [line] = [line for line in triage.json() if line["id"] == str(case_id)]
    assert line["consents"] == expected
    async with read_transaction(runtime.db) as session:
        service = ConsentService(session)
        for purpose in ("services", "aggregate_statistics"):
            assert await service.consented(case_id, purpose) is (expected.get(purpose) == "given")


async def test_a_withdrawal_from_a_phone_with_a_slow_clock_stands(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Issue 15: recorded ten minutes "before" the consent it withdraws, named in supersedes."""
    field = await field_operation(client, accounts)
    case_id, given_id = uuid.uuid4(), uuid.uuid4()
    at = dt.datetime.now(dt.UTC)
    await field.caseworker.push(
        [
            mutation("case", case_id, case_data(field.operation_id)),
            mutation(
                "consent",
                given_id,
                {
                    "case_id": str(case_id),
                    "purpose": "services",
                    "state": "given",
                    "recorded_at": at.isoformat(),
                },
            ),
        ]
    )
    await field.caseworker.push(
        [
            mutation(
                "consent",
                uuid.uuid4(),
                {
                    "case_id": str(case_id),
                    "purpose": "services",
                    "state": "withdrawn",
                    "recorded_at": (at - dt.timedelta(minutes=10)).isoformat(),
                    "supersedes": str(given_id),
                },
            )
        ]
    )
    async with read_transaction(runtime.db) as session:
        assert not await ConsentService(session).consented(case_id, "services")


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


async def test_consents_pushed_at_once_are_all_counted_in_commit_order(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Concurrent pushes of consents for one case (really at once on PostgreSQL): none is
    lost, and what stands is the rule applied in the order the pushes committed."""
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    states = ["given", "withdrawn", "given", "refused", "withdrawn", "given", "given", "refused"]
    pushes = [
        mutation(
            "consent",
            uuid.uuid4(),
            {
                "case_id": str(case_id),
                "purpose": "services",
                "state": state,
                "recorded_at": dt.datetime.now(dt.UTC).isoformat(),
            },
        )
        for state in states
    ]
    results = await asyncio.gather(*(field.caseworker.push([m]) for m in pushes))
    assert {r[0]["status"] for r in results} == {"applied"}
    by_id = {uuid.UUID(m["id"]): m["data"]["state"] for m in pushes}
    async with read_transaction(runtime.db) as session:
        committed = (
            (
                await session.execute(
                    select(Change.record_id).where(Change.record_id.in_(by_id)).order_by(Change.seq)
                )
            )
            .scalars()
            .all()
        )
        row = (
            await session.execute(select(ConsentState).where(ConsentState.case_id == case_id))
        ).scalar_one()
    expected = standing(
        ConsentRecord(record_id=r, purpose="services", state=by_id[r]) for r in committed
    )["services"]
    assert row.received == len(states)
    assert (row.state, row.record_id) == (expected.state, expected.record_id)


async def test_triage_and_the_investigators_lookup_agree_on_a_same_moment_withdrawal(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Issue 15: given, then withdrawn with the same recorded_at and a smaller id. Both
    exits ask the one rule: the withdrawal, received last, stands for both."""
    from tests.backend.investigations.support import investigator, site, tron

    place = await site(client, accounts)
    address = tron("consent-agree")
    case_id = await place.case(disclosures=[(address, {"chain": "tron"})])
    who = await investigator(client, accounts)
    assert len((await who.lookup("tron", address))["cases"]) == 1
    at = dt.datetime.now(dt.UTC).isoformat()
    base = {"case_id": str(case_id), "purpose": "financial_investigation", "recorded_at": at}
    await place.push(
        [
            mutation("consent", uuid.UUID(int=2**127 + 5), {**base, "state": "given"}),
            mutation("consent", uuid.UUID(int=1), {**base, "state": "withdrawn"}),
        ]
    )
    assert (await who.lookup("tron", address))["cases"] == []
    triage = await client.get("/api/v1/cases", headers=place.field.coordinator_headers)
    [line] = [line for line in triage.json() if line["id"] == str(case_id)]
    assert line["consents"]["financial_investigation"] == "withdrawn"
