"""Issue 18: "Your answer will not be used against you" holds at every exit.

``secret_crossing`` and ``afraid_of_arrest`` are protected: their answers
count for the person's own assessment (the coordinator sees it), but no
investigator answer, export, published summary or referral package rests on
them. One test per exit; each also shows the exit still carries what the
other answers find, so that it cannot pass by carrying nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from tests.backend.investigations.support import consent as financial_consent
from tests.backend.investigations.support import disclosure, investigator, tron
from tests.backend.referrals.support import consent, provider
from tests.backend.sync.support import Field, case_data, field_operation, mutation, now
from tests.conftest import Accounts

PROTECTED = {"afraid_of_arrest": {"value": "yes"}}
"""The person fears arrest: in the full assessment, the immediate_needs flag rests on it alone."""
EVERY_PROTECTED = {
    "crossed_border": {"value": "yes"},
    "secret_crossing": {"value": "yes"},
    "afraid_of_arrest": {"value": "yes"},
}
HURT = {"hurt_now": {"value": "yes"}}
"""An answer that is not protected and raises the same flag."""


def screening(case_id: uuid.UUID, answers: dict[str, Any], *, version: int = 3) -> dict[str, Any]:
    """A completed screening record."""
    return mutation(
        "screening",
        uuid.uuid4(),
        {
            "case_id": str(case_id),
            "instrument_key": "scam_compound",
            "instrument_version": version,
            "locale": "en",
            "answers": answers,
            "started_at": now(),
            "completed_at": now(),
        },
    )


async def _case(field: Field, *records: dict[str, Any], code: str) -> uuid.UUID:
    case_id = uuid.uuid4()
    batch = [mutation("case", case_id, case_data(field.operation_id, code=code))]
    batch += [{**r, "data": {**r["data"], "case_id": str(case_id)}} for r in records]
    results = await field.caseworker.push(batch)
    assert {r["status"] for r in results} == {"applied"}, results
    return case_id


async def test_the_coordinator_still_sees_the_protected_answer_in_the_assessment(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = await _case(field, screening(uuid.uuid4(), PROTECTED), code="PROM-SEEN")
    detail = await client.get(f"/api/v1/cases/{case_id}", headers=field.coordinator_headers)
    assert detail.status_code == 200, detail.text
    (record,) = detail.json()["screenings"]
    flags = {f["flag"] for f in record["data"]["assessment"]["flags"]}
    assert "immediate_needs" in flags  # legal aid now: the person's own care uses it


@pytest.mark.parametrize("version", [2, 3])
async def test_the_referral_package_never_rests_on_a_protected_answer(
    client: AsyncClient, accounts: Accounts, version: int
) -> None:
    field = await field_operation(client, accounts)
    shelter = await provider(client, field)
    needs = {}
    for name, answers in (("protected", EVERY_PROTECTED), ("hurt", HURT)):
        case_id = await _case(
            field,
            consent(uuid.uuid4(), "services", "given"),
            screening(uuid.uuid4(), answers, version=version),
            code=f"PROM-{name[:4].upper()}",
        )
        referral = await client.post(
            f"/api/v1/cases/{case_id}/referrals",
            headers=field.coordinator_headers,
            json={"service": "shelter", "provider_id": shelter},
        )
        assert referral.status_code == 201, referral.text
        package = await client.get(
            f"/api/v1/referrals/{referral.json()['id']}/package",
            headers=field.coordinator_headers,
        )
        assert package.status_code == 200, package.text
        needs[name] = package.json()["needs"]
    assert needs == {"protected": [], "hurt": ["immediate_needs"]}


async def _summary_flag(client: AsyncClient, field: Field, flag: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/operations/{field.operation_id}/summary", headers=field.coordinator_headers
    )
    assert response.status_code == 200, response.text
    table: dict[str, Any] = next(
        t for t in response.json()["tables"] if t["name"] == f"flag_{flag}"
    )
    return dict(zip(table["labels"], table["counts"], strict=True))


async def test_the_published_summary_never_counts_a_protected_answer(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    for n in range(6):
        await _case(
            field,
            consent(uuid.uuid4(), "aggregate_statistics", "given"),
            screening(uuid.uuid4(), EVERY_PROTECTED),
            code=f"PSUM-{n:04d}",
        )
    assert await _summary_flag(client, field, "immediate_needs") == {
        "with_flag": 0,
        "without_flag": 6,
    }


async def test_the_published_summary_still_counts_what_other_answers_find(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    for n in range(6):
        await _case(
            field,
            consent(uuid.uuid4(), "aggregate_statistics", "given"),
            screening(uuid.uuid4(), {**EVERY_PROTECTED, **HURT}),
            code=f"PSUH-{n:04d}",
        )
    assert await _summary_flag(client, field, "immediate_needs") == {
        "with_flag": 6,
        "without_flag": 0,
    }


RING = [tron(f"promise-ring-{n}") for n in range(3)]


async def test_investigators_and_their_exports_see_nothing_of_a_screening(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Every investigator route and export answers the same before and after screenings
    with every protected answer (and others) arrive for the cases they see."""
    field = await field_operation(client, accounts)
    cases = []
    for n in range(6):
        case_id = uuid.uuid4()
        cases.append(case_id)
        batch = [
            mutation("case", case_id, case_data(field.operation_id, code=f"PINV-{n:04d}")),
            financial_consent(case_id, "given"),
            disclosure(case_id, RING[n % 3], chain="tron"),
            disclosure(case_id, RING[(n + 1) % 3], chain="tron", role="paid_to_perpetrator"),
        ]
        results = await field.caseworker.push(batch)
        assert {r["status"] for r in results} == {"applied"}, results
    who = await investigator(client, accounts)

    async def everything() -> list[str]:
        answers = []
        for path, params in (
            (f"/addresses/tron/{RING[0]}", {}),
            ("/addresses", {"chain": "tron", "prefix": RING[1][:7]}),
            ("/graph/hubs", {"min_cases": 2, "min_operations": 1}),
            ("/graph/clusters", {}),
            (f"/graph/cluster/tron/{RING[2]}", {}),
            ("/summary", {}),
            ("/exports/tagpack", {}),
            ("/exports/csv", {}),
        ):
            response = await client.get(who.base + path, headers=who.headers, params=params)
            assert response.status_code == 200, response.text
            answers.append(response.text)
        return answers

    before = await everything()
    assert RING[0] in before[0]
    answers = {**EVERY_PROTECTED, "threatened_you": {"value": "yes"}, **HURT}
    results = await field.caseworker.push([screening(c, answers) for c in cases])
    assert {r["status"] for r in results} == {"applied"}, results
    assert await everything() == before
