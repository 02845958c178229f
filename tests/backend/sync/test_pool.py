"""Audited reads under more concurrency than the connection pool has connections.

A read route's audit entry is appended in a write transaction of its own. The
read's connection must go back to the pool before that transaction asks for
one: otherwise as many concurrent audited reads as the pool holds each keep a
connection and wait for a second, until the pool's timeout answers 500.
The sync benchmark found this with 20 devices pulling at once on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from httpx import AsyncClient

from backend.settings import Settings
from tests.backend.sync.support import Device, field_operation, full_case
from tests.conftest import Accounts, is_postgres, make_settings

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="SQLite's pool holds 64 connections; PostgreSQL's is set small here"
)

POOL = 1  # and SQLAlchemy's 10 overflow connections: 11 in all


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, db_pool_size=POOL, db_pool_timeout_seconds=3)


async def test_more_audited_pulls_at_once_than_connections_all_succeed(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await field.coordinator.push(full_case(field.operation_id))
    phones = []
    for _ in range(POOL + 10 + 4):
        phone = uuid.uuid4()
        headers = await accounts.headers(
            (await accounts.signed_in("coordinator", device_id=phone))[0], device_id=phone
        )
        await client.post(
            f"/api/v1/operations/{field.operation_id}/members",
            headers=field.coordinator_headers,
            json={"user_id": str((await client.get("/api/v1/me", headers=headers)).json()["id"])},
        )
        phones.append(Device(client, phone, headers, uuid.uuid4()))
    pulls = await asyncio.gather(
        *(client.get("/api/v1/sync/pull", headers=p.headers) for p in phones)
    )
    assert [r.status_code for r in pulls] == [200] * len(phones), [
        r.text for r in pulls if r.status_code != 200
    ][:1]
    assert all(r.json()["changes"] for r in pulls)  # each read something, so each was audited
