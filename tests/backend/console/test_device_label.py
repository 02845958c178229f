"""Phones and browsers send a label at sign-in; it is kept with the device for admins to see."""

from __future__ import annotations

import uuid

import pytest
from httpx import AsyncClient

from tests.conftest import Accounts, assert_problem


async def test_the_label_sent_at_sign_in_is_kept_and_updated(
    client: AsyncClient, accounts: Accounts
) -> None:
    worker = await accounts.create("caseworker")
    phone = uuid.uuid4()
    body = {"username": worker.username, "password": worker.password, "device_id": str(phone)}
    first = await client.post("/api/v1/auth/token", json={**body, "device_label": "Samsung A14"})
    assert first.status_code == 200
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    [device] = (await client.get("/api/v1/me/devices", headers=headers)).json()
    assert device["label"] == "Samsung A14"
    # Signing in without a label keeps the one it has; a new label replaces it.
    assert (await client.post("/api/v1/auth/token", json=body)).status_code == 200
    renamed = {**body, "device_label": "Samsung A14 - team 3"}
    assert (await client.post("/api/v1/auth/token", json=renamed)).status_code == 200
    admin = await accounts.remember_admin()
    [seen] = (await client.get(f"/api/v1/users/{worker.id}/devices", headers=admin)).json()
    assert seen["label"] == "Samsung A14 - team 3"


@pytest.mark.parametrize("label", ["", "x" * 81, "tab\there", "null\x00"])
async def test_a_bad_label_is_a_422_problem_and_registers_nothing(
    client: AsyncClient, accounts: Accounts, label: str
) -> None:
    worker = await accounts.create("caseworker")
    answer = await client.post(
        "/api/v1/auth/token",
        json={
            "username": worker.username,
            "password": worker.password,
            "device_id": str(uuid.uuid4()),
            "device_label": label,
        },
    )
    body = assert_problem(answer, 422, "validation")
    assert label not in str(body) or not label
