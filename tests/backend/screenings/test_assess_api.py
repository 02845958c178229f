"""Previewing a triage assessment over the API (nothing is stored)."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Accounts, assert_problem

URL = "/api/v1/screenings/assess"


def _body(values: dict[str, Any], **extra: object) -> dict[str, object]:
    return {
        "instrument_key": "scam_compound",
        "instrument_version": 1,
        "answers": {k: {"value": v} for k, v in values.items()},
        **extra,
    }


@pytest.fixture
async def caseworker(accounts: Accounts) -> dict[str, str]:
    _, headers = await accounts.signed_in("caseworker")
    return headers


async def test_adult_deceived_by_an_it_job_with_passport_taken_and_beaten_is_strong_with_forced_criminality(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    values = {
        "age_years": 27,
        "how_recruited": "social_media",
        "promised_other_job": "yes",
        "job_promised": "it",
        "things_taken": ["passport"],
        "work_done": ["crypto_fraud"],
        "used_scripts": "yes",
        "had_target": "yes",
        "target_missed": ["beaten"],
    }
    response = await client.post(URL, headers=caseworker, json=_body(values))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["band"] == "strong_indicators"
    assert body["instrument_version"] == 1 and body["engine_version"]
    flags = {f["flag"]: f for f in body["flags"]}
    assert "forced_criminality" in flags
    assert "suspect" in flags["forced_criminality"]["note"]["text"]  # the non-punishment note
    assert {"medical", "legal_aid"} <= {r["service"] for r in body["referrals"]}


async def test_a_child_recruited_online_with_no_means_is_strong(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    values = {"age_years": 16, "how_recruited": "social_media", "work_done": ["crypto_fraud"]}
    body = (await client.post(URL, headers=caseworker, json=_body(values))).json()
    assert body["band"] == "strong_indicators"
    assert body["palermo"]["means_required"] is False
    assert "child" in {f["flag"] for f in body["flags"]}
    assert "child_protection" in {r["service"] for r in body["referrals"]}


async def test_everything_skipped_is_insufficient_information(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    body = _body({})
    body["answers"] = {
        "safe_now": {"skipped": "dont_know"},
        "hurt_now": {"skipped": "prefer_not_to_say"},
    }
    result = (await client.post(URL, headers=caseworker, json=body)).json()
    assert result["band"] == "insufficient_information"
    assert result["indicators"] == []


async def test_invalid_answers_are_a_422_with_one_error_per_answer(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    body = _body({"safe_now": "maybe", "no_such_item": 1})
    problem = assert_problem(
        await client.post(URL, headers=caseworker, json=body), 422, "validation"
    )
    errors = {e["field"]: e["code"] for e in problem["errors"]}  # type: ignore[attr-defined]
    assert errors == {
        "answers.safe_now": "option_not_offered",
        "answers.no_such_item": "unknown_item",
    }


@pytest.mark.parametrize(
    "answer",
    [{}, {"value": "yes", "skipped": "dont_know"}, {"skipped": "no"}, {"valu": "yes"}],
)
async def test_malformed_answer_objects_are_422(
    client: AsyncClient, caseworker: dict[str, str], answer: dict[str, object]
) -> None:
    body = _body({})
    body["answers"] = {"safe_now": answer}
    problem = assert_problem(
        await client.post(URL, headers=caseworker, json=body), 422, "validation"
    )
    assert problem["errors"][0]["field"].startswith("answers")  # type: ignore[index]


async def test_unknown_instrument_version_is_422(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    body = {**_body({}), "instrument_version": 42}
    problem = assert_problem(
        await client.post(URL, headers=caseworker, json=body), 422, "validation"
    )
    assert problem["errors"][0]["field"] == "instrument_version"  # type: ignore[index]


async def test_a_date_of_birth_needs_the_screening_date(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    from screening import load_registry

    dob_items = [i.id for i in load_registry().get("scam_compound", 1).items if i.type == "date"]
    if not dob_items:
        pytest.skip("no date item in the instrument")
    without = _body({dob_items[0]: "2010-05-01"})
    problem = assert_problem(
        await client.post(URL, headers=caseworker, json=without), 422, "validation"
    )
    assert problem["errors"][0]["field"] == "as_of"  # type: ignore[index]
    with_date = _body({dob_items[0]: "2010-05-01"}, as_of="2026-11-21")
    assert (await client.post(URL, headers=caseworker, json=with_date)).status_code == 200


async def test_the_same_answers_give_the_same_assessment(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    values = {"age_years": 30, "things_taken": ["passport", "phone"], "hurt_now": "yes"}
    first = await client.post(URL, headers=caseworker, json=_body(values))
    second = await client.post(
        URL, headers=caseworker, json=_body(dict(reversed(list(values.items()))))
    )
    assert first.json() == second.json()


async def test_a_huge_integer_answer_is_a_422_not_a_500(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    problem = assert_problem(
        await client.post(URL, headers=caseworker, content=_huge(400)), 422, "validation"
    )
    errors = {e["field"]: e["code"] for e in problem["errors"]}  # type: ignore[attr-defined]
    assert errors == {"answers.age_years": "out_of_range"}


async def test_an_integer_beyond_the_json_decoder_limit_is_a_malformed_body(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    # Python refuses to parse integers of more than 4300 digits; that is a 400, never a 500.
    response = await client.post(URL, headers=caseworker, content=_huge(5000))
    assert_problem(response, 400, "malformed-body")


def _huge(digits: int) -> bytes:
    head = b'{"instrument_key":"scam_compound","instrument_version":1,"answers":'
    return head + b'{"age_years":{"value":1' + b"0" * digits + b"}}}"
