"""``POST /api/v1/addresses/normalize`` over HTTP."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.conftest import Accounts, assert_problem

URL = "/api/v1/addresses/normalize"
LEGACY_P2PKH = "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"  # cashaddr specification vector


@pytest.fixture
async def investigator(accounts: Accounts) -> dict[str, str]:
    _, headers = await accounts.signed_in("investigator")
    return headers


async def test_a_legacy_address_has_a_bitcoin_and_a_bitcoin_cash_candidate(
    client: AsyncClient, investigator: dict[str, str]
) -> None:
    response = await client.post(
        URL, headers=investigator, json={"address": f" {LEGACY_P2PKH}\u200b"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "candidates": [
            {"chain": "bitcoin", "canonical": LEGACY_P2PKH, "kind": "p2pkh"},
            {
                "chain": "bitcoin-cash",
                "canonical": "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
                "kind": "p2pkh",
                "legacy": LEGACY_P2PKH,
            },
        ]
    }


async def test_the_chain_given_limits_the_candidates(
    client: AsyncClient, investigator: dict[str, str]
) -> None:
    body = {"address": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "chain": "ethereum"}
    response = await client.post(URL, headers=investigator, json=body)
    assert response.json()["candidates"] == [
        {
            "chain": "ethereum",
            "canonical": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "kind": "account",
        }
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"}, "bad_checksum"),
        ({"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"}, "mixed_case_checksum"),
        ({"address": LEGACY_P2PKH, "chain": "tron"}, "wrong_chain"),
        ({"address": "not an address"}, "invalid_character"),
        ({"address": "hello"}, "unknown_format"),
    ],
)
async def test_an_invalid_address_is_a_422_naming_the_field_and_the_code(
    client: AsyncClient, investigator: dict[str, str], body: dict[str, str], code: str
) -> None:
    problem = assert_problem(
        await client.post(URL, headers=investigator, json=body), 422, "validation"
    )
    (error,) = problem["errors"]  # type: ignore[misc]
    assert error["field"] == "address" and error["code"] == code and error["reason"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"address": ""},
        {"address": "x" * 257},
        {"address": LEGACY_P2PKH, "chain": "dogecoin-cash"},
        {"address": LEGACY_P2PKH, "extra": 1},
        {"address": 12},
    ],
)
async def test_a_body_outside_the_schema_is_a_422(
    client: AsyncClient, investigator: dict[str, str], body: dict[str, object]
) -> None:
    assert_problem(await client.post(URL, headers=investigator, json=body), 422, "validation")


async def test_a_body_that_is_not_json_is_a_400(
    client: AsyncClient, investigator: dict[str, str]
) -> None:
    response = await client.post(
        URL, headers={**investigator, "content-type": "application/json"}, content=b"{address"
    )
    assert_problem(response, 400, "malformed-body")


async def test_without_a_token_it_is_a_401(client: AsyncClient) -> None:
    assert_problem(await client.post(URL, json={"address": LEGACY_P2PKH}), 401, "unauthenticated")
