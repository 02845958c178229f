"""Request limits that fit the field: phones behind one address each have their own.

A raid's phones share one address. Signed-in requests are limited per
account and device, anonymous ones (sign-in, no token, a bad token) per
client network. Every limit answers a 429 problem with Retry-After.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.app import build_runtime, create_app
from backend.auth.limits import Buckets
from backend.runtime import Runtime
from tests.backend.auth.test_backoff import client_from
from tests.backend.sync.support import PULL, case_data, mutation
from tests.conftest import Accounts, assert_problem, make_settings

FIELD = "203.0.113.50"  # the raid's one address (a carrier's NAT)
HQ = "192.0.2.10"


def _runtime(tmp_path: Path, database_url: str, *, anonymous: int, device: int) -> Runtime:
    return build_runtime(
        make_settings(
            tmp_path,
            database_url,
            rate_limit_per_minute=anonymous,
            rate_limit_device_per_minute=device,
        )
    )


async def _operation(
    hq: httpx.AsyncClient, accounts: Accounts, workers: int
) -> tuple[str, list[Any]]:
    """An operation with ``workers`` caseworkers, set up from headquarters."""
    _, coordinator = await accounts.signed_in("coordinator")
    made = await hq.post(
        "/api/v1/operations",
        headers=coordinator,
        json={"name": "Operation Manyphones", "country": "KH", "site": "Fakeville Annex"},
    )
    assert made.status_code == 201, made.text
    operation_id = made.json()["id"]
    people = []
    for _ in range(workers):
        person = await accounts.create("caseworker")
        added = await hq.post(
            f"/api/v1/operations/{operation_id}/members",
            headers=coordinator,
            json={"user_id": str(person.id)},
        )
        assert added.status_code == 201, added.text
        people.append(person)
    return operation_id, people


async def _sync(
    phone: httpx.AsyncClient, headers: dict[str, str], device: uuid.UUID, operation_id: str
) -> list[int]:
    """What one phone does when it gets signal: push a case, pull to the end, read /me."""
    case_id = uuid.uuid4()
    statuses = []
    pushed = await phone.post(
        "/api/v1/sync/push",
        headers=headers,
        json={
            "device_id": str(device),
            "mutations": [
                mutation(
                    "case",
                    case_id,
                    case_data(operation_id, code=f"{case_id.hex[:4]}-{case_id.hex[4:8]}".upper()),
                )
            ],
        },
    )
    statuses.append(pushed.status_code)
    assert pushed.status_code != 200 or pushed.json()["results"][0]["status"] == "applied"
    for _ in range(2):
        statuses.append((await phone.get(PULL, headers=headers, params={"limit": 50})).status_code)
    statuses.append((await phone.get("/api/v1/me", headers=headers)).status_code)
    return statuses


async def test_fifty_phones_behind_one_address_sync_at_once_without_a_429(
    tmp_path: Path, database_url: str
) -> None:
    runtime = _runtime(tmp_path, database_url, anonymous=60, device=60)
    app = create_app(runtime=runtime)
    async with client_from(app, HQ) as hq, client_from(app, FIELD) as field:
        operation_id, people = await _operation(hq, Accounts(runtime, hq), 50)
        at_the_raid = Accounts(runtime, field)
        phones = [uuid.uuid4() for _ in people]
        headers = [
            await at_the_raid.headers(person, device_id=phone)
            for person, phone in zip(people, phones, strict=True)
        ]
        answers = await asyncio.gather(
            *(
                _sync(field, h, phone, operation_id)
                for h, phone in zip(headers, phones, strict=True)
            )
        )
    statuses = [status for phone in answers for status in phone]
    # 50 sign-ins and 200 signed-in requests from one address in well under a minute.
    assert len(statuses) == 200
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    await runtime.db.dispose()


async def test_one_abusive_device_is_limited_alone(tmp_path: Path, database_url: str) -> None:
    runtime = _runtime(tmp_path, database_url, anonymous=1000, device=20)
    app = create_app(runtime=runtime)
    async with client_from(app, FIELD) as field:
        accounts = Accounts(runtime, field)
        abuser, other = await accounts.create("caseworker"), await accounts.create("caseworker")
        loud = await accounts.headers(abuser, device_id=uuid.uuid4())
        own_other_phone = await accounts.headers(abuser, device_id=uuid.uuid4())
        quiet = await accounts.headers(other, device_id=uuid.uuid4())
        statuses = [(await field.get(PULL, headers=loud)).status_code for _ in range(20)]
        assert set(statuses) == {200}
        refused = await field.get(PULL, headers=loud)
        body = assert_problem(refused, 429, "rate-limited")
        assert int(refused.headers["retry-after"]) == body["retry_after"] >= 1
        # Another person's phone, the same person's other phone, and a sign-in, at
        # the same address: none of them is held back.
        assert (await field.get(PULL, headers=quiet)).status_code == 200
        assert (await field.get(PULL, headers=own_other_phone)).status_code == 200
        assert "Authorization" in await accounts.headers(other)
    await runtime.db.dispose()


async def test_bad_tokens_and_anonymous_requests_count_against_their_address(
    tmp_path: Path, database_url: str
) -> None:
    runtime = _runtime(tmp_path, database_url, anonymous=10, device=1000)
    app = create_app(runtime=runtime)
    async with client_from(app, HQ) as hq, client_from(app, FIELD) as field:
        person = await Accounts(runtime, hq).create("caseworker")
        phone = await Accounts(runtime, hq).headers(person, device_id=uuid.uuid4())
        junk = {"Authorization": "Bearer lt1_" + "x" * 43}
        statuses = [(await field.get(PULL, headers=junk)).status_code for _ in range(10)]
        assert statuses == [401] * 10
        assert_problem(await field.get(PULL, headers=junk), 429, "rate-limited")
        assert_problem(await field.get(PULL), 429, "rate-limited")
        # A sign-in with a stray header is still anonymous: no way around the limit.
        stray = await field.post(
            "/api/v1/auth/token",
            headers=junk,
            json={"username": person.username, "password": person.password},
        )
        assert_problem(stray, 429, "rate-limited")
        # A phone with a valid token at that address goes on syncing.
        assert (await field.get(PULL, headers=phone)).status_code == 200
        # Another address is not affected, and health checks never are.
        assert (await hq.get(PULL, headers=junk)).status_code == 401
        assert (await field.get("/health/live")).status_code == 200
    await runtime.db.dispose()


def test_a_bucket_refills_evenly_and_forgets_idle_keys() -> None:
    now = [0.0]
    buckets = Buckets(60, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(60)] == [None] * 60
    assert buckets.take("a") == 1
    assert buckets.take("b") is None  # another key has its own
    now[0] += 1.0
    assert buckets.take("a") is None and buckets.take("a") == 1
    for n in range(20_001):
        buckets.take(f"idle-{n}")
    now[0] += 61.0
    buckets.take("late")
    assert len(buckets._held) <= 2


@pytest.mark.parametrize("per_minute", [1, 7, 600])
def test_a_bucket_admits_its_limit_in_a_minute_and_no_more(per_minute: int) -> None:
    now = [0.0]
    buckets = Buckets(per_minute, clock=lambda: now[0])
    admitted = 0
    for _ in range(3 * per_minute):
        if buckets.take("k") is None:
            admitted += 1
        now[0] += 59.0 / (3 * per_minute)
    # A full bucket plus what refills in just under a minute.
    assert per_minute <= admitted <= 2 * per_minute
