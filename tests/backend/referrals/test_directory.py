"""The providers directory: CRUD for coordinators, filters, validation, audit."""

from __future__ import annotations

import asyncio
import uuid

from httpx import AsyncClient
from sqlalchemy import select

from backend.db.models import AuditEntry
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.referrals.support import SERVICES, provider
from tests.backend.sync.support import field_operation
from tests.conftest import Accounts, assert_problem


async def test_providers_are_added_found_by_country_and_kind_changed_and_audited(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    headers = field.coordinator_headers
    shelter = await provider(client, field, kind="shelter")
    clinic = await provider(client, field, kind="medical")
    elsewhere = await client.post(
        SERVICES, headers=headers, json={"country": "kh", "kind": "legal_aid", "name": "Fake Law"}
    )
    assert elsewhere.status_code == 201 and elsewhere.json()["country"] == "KH"

    async def ids(**params: str) -> set[str]:
        found = await client.get(SERVICES, headers=headers, params=params)
        assert found.status_code == 200, found.text
        return {p["id"] for p in found.json()}

    assert await ids(country="TH") == {shelter, clinic}
    assert await ids(country="th", kind="medical") == {clinic}
    changed = await client.patch(f"{SERVICES}/{clinic}", headers=headers, json={"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert changed.json()["name"] == "Fakeville medical house"  # untouched fields stay
    assert await ids(country="TH", active="true") == {shelter}
    one = await client.get(f"{SERVICES}/{shelter}", headers=headers)
    assert one.json()["contact"]["phone"] == "+000-555-0100"
    async with read_transaction(runtime.db) as session:
        actions = (
            (
                await session.execute(
                    select(AuditEntry.action).where(AuditEntry.action.like("service.%"))
                )
            )
            .scalars()
            .all()
        )
    assert sorted(actions) == ["service.create"] * 3 + ["service.update"]


async def test_bad_providers_are_refused_with_the_field(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    headers = field.coordinator_headers
    for body, path in (
        ({"country": "XX", "kind": "shelter", "name": "N"}, "country"),
        ({"country": "TH", "kind": "spa", "name": "N"}, "kind"),
        ({"country": "TH", "kind": "shelter", "name": ""}, "name"),
        ({"country": "TH", "kind": "shelter", "name": "N", "victim": "x"}, "victim"),
    ):
        refused = await client.post(SERVICES, headers=headers, json=body)
        assert refused.status_code in {400, 422}, refused.text
        assert path in refused.text, refused.text
    missing = await client.patch(f"{SERVICES}/{uuid.uuid4()}", headers=headers, json={})
    assert_problem(missing, 404, "not-found")


async def test_concurrent_changes_of_one_provider_keep_both(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    shelter = await provider(client, field)
    url = f"{SERVICES}/{shelter}"
    changes = [
        {"name": "Renamed Fake Shelter"},
        {"languages": ["my"]},
        {"contact": {"phone": "+000-555-0111"}},
        {"active": False},
    ]
    answers = await asyncio.gather(
        *(client.patch(url, headers=field.coordinator_headers, json=change) for change in changes)
    )
    assert {a.status_code for a in answers} == {200}
    final = (await client.get(url, headers=field.coordinator_headers)).json()
    assert final["name"] == "Renamed Fake Shelter" and final["languages"] == ["my"]
    assert final["contact"] == {"phone": "+000-555-0111"} and final["active"] is False
