"""Operations: created by coordinators, visible to members only."""

from __future__ import annotations

import uuid

import pytest
from httpx import AsyncClient

from tests.conftest import Accounts, assert_problem

OPS = "/api/v1/operations"
SITE = {"name": "Operation Test Dawn", "country": "kh", "site": "Synthetic Compound 1"}


async def _operation(
    client: AsyncClient, headers: dict[str, str], **extra: object
) -> dict[str, object]:
    response = await client.post(OPS, headers=headers, json={**SITE, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_coordinator_creates_an_operation_and_is_its_first_member(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    op = await _operation(client, coord, starts_on="2026-11-01")
    assert op["country"] == "KH"
    listed = await client.get(OPS, headers=coord)
    assert [o["id"] for o in listed.json()] == [op["id"]]
    me = await client.get("/api/v1/me", headers=coord)
    assert me.json()["operations"] == [op["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SITE, "country": "XX"}, "country"),
        ({**SITE, "country": "KHM"}, "country"),
        ({**SITE, "name": ""}, "name"),
        ({**SITE, "starts_on": "2026-11-10", "ends_on": "2026-11-01"}, "ends_on"),
        ({**SITE, "starts_on": "not-a-date"}, "starts_on"),
        ({k: v for k, v in SITE.items() if k != "site"}, "site"),
    ],
)
async def test_invalid_operations_are_422_with_the_field(
    client: AsyncClient, accounts: Accounts, body: dict[str, object], field: str
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    problem = assert_problem(await client.post(OPS, headers=coord, json=body), 422, "validation")
    assert field in [e["field"] for e in problem["errors"]]  # type: ignore[attr-defined]


async def test_members_see_their_operations_and_no_others(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, coord_a = await accounts.signed_in("coordinator")
    _, coord_b = await accounts.signed_in("coordinator")
    caseworker, cw = await accounts.signed_in("caseworker")
    op_a = await _operation(client, coord_a)
    op_b = await _operation(client, coord_b)
    added = await client.post(
        f"{OPS}/{op_a['id']}/members", headers=coord_a, json={"user_id": str(caseworker.id)}
    )
    assert added.status_code == 201
    assert [o["id"] for o in (await client.get(OPS, headers=cw)).json()] == [op_a["id"]]
    assert (await client.get(f"{OPS}/{op_a['id']}", headers=cw)).status_code == 200
    assert_problem(await client.get(f"{OPS}/{op_b['id']}", headers=cw), 404, "not-found")
    # A coordinator of another operation cannot add members to it either.
    assert_problem(
        await client.post(
            f"{OPS}/{op_a['id']}/members", headers=coord_b, json={"user_id": str(caseworker.id)}
        ),
        404,
        "not-found",
    )


async def test_adding_a_member_twice_is_a_no_op(client: AsyncClient, accounts: Accounts) -> None:
    _, coord = await accounts.signed_in("coordinator")
    caseworker = await accounts.create("caseworker")
    op = await _operation(client, coord)
    url = f"{OPS}/{op['id']}/members"
    assert (
        await client.post(url, headers=coord, json={"user_id": str(caseworker.id)})
    ).status_code == 201
    assert (
        await client.post(url, headers=coord, json={"user_id": str(caseworker.id)})
    ).status_code == 200
    members = (await client.get(url, headers=coord)).json()
    assert sorted(m["role"] for m in members) == ["caseworker", "coordinator"]


@pytest.mark.parametrize("role", ["investigator", "admin"])
async def test_investigators_and_admins_cannot_be_members(
    client: AsyncClient, accounts: Accounts, role: str
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    other = await accounts.create(role)
    op = await _operation(client, coord)
    response = await client.post(
        f"{OPS}/{op['id']}/members", headers=coord, json={"user_id": str(other.id)}
    )
    assert_problem(response, 422, "validation")


async def test_adding_an_unknown_user_is_422(client: AsyncClient, accounts: Accounts) -> None:
    _, coord = await accounts.signed_in("coordinator")
    op = await _operation(client, coord)
    response = await client.post(
        f"{OPS}/{op['id']}/members", headers=coord, json={"user_id": str(uuid.uuid4())}
    )
    assert_problem(response, 422, "validation")


async def test_concurrent_adds_of_one_member_create_one_membership(
    client: AsyncClient, accounts: Accounts
) -> None:
    import asyncio

    _, coord = await accounts.signed_in("coordinator")
    caseworker = await accounts.create("caseworker")
    op = await _operation(client, coord)
    url = f"{OPS}/{op['id']}/members"
    responses = await asyncio.gather(
        *(client.post(url, headers=coord, json={"user_id": str(caseworker.id)}) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    members = (await client.get(url, headers=coord)).json()
    assert [m["user_id"] for m in members].count(str(caseworker.id)) == 1
