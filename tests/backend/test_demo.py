"""``lantern demo`` seeds an operation through the sync API; a coordinator pulls it back."""

from __future__ import annotations

import random
from collections import Counter

import httpx
from click.testing import CliRunner

from backend.cli import main
from backend.demo import screening_answers, seed_demo
from backend.runtime import Runtime
from screening import decode_answers, validate_answers


async def test_the_demo_pushes_cases_that_a_coordinator_pulls_back(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    result = await seed_demo(runtime, client, cases=6, caseworkers=2, seed=7)
    assert result.cases == 6
    assert set(result.statuses) == {"applied"}, result.statuses
    assert result.records["case"] == 6 and result.records["screening"] == 6
    coordinator = result.users[0]
    assert coordinator.role == "coordinator" and len(coordinator.password) >= 15
    headers = {"Authorization": f"Bearer {coordinator.token}"}
    pulled: Counter[str] = Counter()
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        answer = await client.get("/api/v1/sync/pull", headers=headers, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        for change in body["changes"]:
            pulled[change["entity"]] += 1
            if change["entity"] == "screening":
                assert change["data"]["assessment"]["instrument_version"] == 2
                assert not change["data"]["assessment"].get("ignored_hidden_answers")
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert pulled == result.records


def test_generated_answers_are_valid_for_the_instrument(runtime: Runtime) -> None:
    instrument = runtime.instruments.get("scam_compound", 2)
    rng = random.Random(3)
    for _ in range(50):
        raw = screening_answers(instrument, rng, limit=40)
        assert 0 < len(raw) <= 40
        validate_answers(instrument, decode_answers(raw))


def test_the_demo_command_prints_what_it_made(settings_env: dict[str, str]) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"], env=settings_env)
    assert upgraded.exit_code == 0, upgraded.output
    done = runner.invoke(
        main, ["demo", "--cases", "3", "--caseworkers", "1", "--seed", "1"], env=settings_env
    )
    assert done.exit_code == 0, done.output
    assert "cases: 3" in done.output
    assert "coordinator" in done.output and "password:" in done.output


async def test_the_demo_makes_every_role_and_wallets_an_investigator_finds(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    result = await seed_demo(runtime, client, cases=40, caseworkers=2, seed=11)
    assert set(result.statuses) == {"applied"}, result.statuses
    assert {u.role for u in result.users} == {"coordinator", "caseworker", "investigator", "admin"}
    investigator = next(u for u in result.users if u.role == "investigator")
    headers = {"Authorization": f"Bearer {investigator.token}"}
    opened = await client.post(
        "/api/v1/investigations",
        headers=headers,
        json={"title": "Demo check", "purpose": "Test", "legal_basis": "Test"},
    )
    assert opened.status_code == 201, opened.text
    base = f"/api/v1/investigations/{opened.json()['id']}"
    hub = await client.get(f"{base}/addresses/tron/{result.hub}", headers=headers)
    assert hub.status_code == 200, hub.text
    assert hub.json()["case_count"] >= 2  # a shared address, seen through consent
    normalised = await client.post(
        "/api/v1/addresses/normalize", headers=headers, json={"address": result.hub}
    )
    assert normalised.status_code == 200


async def test_the_demo_mixes_bands_and_flags_the_way_a_raid_does(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    result = await seed_demo(runtime, client, cases=80, caseworkers=1, seed=21)
    headers = {"Authorization": f"Bearer {result.users[0].token}"}
    answer = await client.get("/api/v1/cases", headers=headers, params={"limit": 500})
    lines = answer.json()
    assert len(lines) == 80
    bands = Counter(line["band"] for line in lines)
    assert len(bands) >= 3, bands  # not every case strong
    needs = sum("immediate_needs" in line["flags"] for line in lines)
    assert 0 < needs < 40, needs
    for line in lines:  # the child flag only on children
        assert ("child" in line["flags"]) == (line["age_group"] == "child"), line
