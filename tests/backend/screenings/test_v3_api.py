"""Issue 18 through the API: the people of the issue, previewed with v2 and v3."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Accounts

URL = "/api/v1/screenings/assess"
COMPOUND_VICTIM = {
    "how_recruited": ["online_ad"],
    "lived_at_workplace": "yes",
    "free_to_leave": "no",
    "locked_in": "yes",
    "guarded": ["guards"],
    "work_done": ["chat_scams"],
}


@pytest.fixture
async def caseworker(accounts: Accounts) -> dict[str, str]:
    _, headers = await accounts.signed_in("caseworker")
    return headers


async def _assess(
    client: AsyncClient, headers: dict[str, str], version: int, values: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        URL,
        headers=headers,
        json={
            "instrument_key": "scam_compound",
            "instrument_version": version,
            "answers": {k: {"value": v} for k, v in values.items()},
            "as_of": "2025-03-01",
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_locked_in_and_guarded_compound_victim_is_strong_and_says_why(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    v2 = await _assess(client, caseworker, 2, COMPOUND_VICTIM)
    v3 = await _assess(client, caseworker, 3, COMPOUND_VICTIM)
    assert (v2["band"], v2["palermo"]["elements_met"]) == ("some_indicators", False)
    assert (v3["band"], v3["palermo"]["elements_met"]) == ("strong_indicators", True)
    assert "shelter" in {r["service"] for r in v3["referrals"]}
    (flag,) = [f for f in v3["flags"] if f["flag"] == "forced_criminality"]
    assert flag["strength"] == "strong"
    assert {e["item_id"] for e in flag["evidence"]} >= {"work_done", "locked_in"}
    (old,) = [f for f in v2["flags"] if f["flag"] == "forced_criminality"]
    assert "strength" not in old and "evidence" not in old  # v2's answer keeps its shape


async def test_an_observer_item_alone_is_nothing_answered_in_v3_only(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    v2 = await _assess(client, caseworker, 2, {"observed_age": "yes"})
    v3 = await _assess(client, caseworker, 3, {"observed_age": "yes"})
    assert (v2["answered"], v2["observer_answered"]) == (1, 0)
    assert (v3["answered"], v3["observer_answered"]) == (0, 1)
    assert "nothing_answered" in {r["rule"] for r in v3["band_reasons"]}
