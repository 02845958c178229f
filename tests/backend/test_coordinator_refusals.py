"""Every coordinator route refuses, and audits the refusal of, everyone but the case's coordinators.

A coordinator of another operation is told "not found" (existence never
leaks); a caseworker (even one of the case's own operation), an investigator
and an admin are refused by role. Each refusal leaves one denied audit entry.
"""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select

from backend.db.models import AuditEntry
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.referrals.support import consent, provider
from tests.backend.sync.support import field_operation, full_case
from tests.conftest import Accounts, assert_problem


async def _denials(runtime: Runtime) -> int:
    async with read_transaction(runtime.db) as session:
        count = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        )
    return int(count or 0)


async def test_strangers_and_other_roles_are_refused_on_every_coordinator_route(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    home = await field_operation(client, accounts)
    target = await field_operation(client, accounts)
    stranger = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    batch = full_case(home.operation_id, case_id)
    batch.append({**consent(case_id, "services", "given")})
    assert {r["status"] for r in await home.caseworker.push(batch)} == {"applied"}
    headers = home.coordinator_headers
    shelter = await provider(client, home)
    referral = await client.post(
        f"/api/v1/cases/{case_id}/referrals", headers=headers, json={"service": "shelter"}
    )
    referral_id = referral.json()["id"]
    transfer = await client.post(
        f"/api/v1/cases/{case_id}/transfers",
        headers=headers,
        json={"to_operation": target.operation_id},
    )
    transfer_id = transfer.json()["id"]

    scoped: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/api/v1/cases/{case_id}", {}),
        ("DELETE", f"/api/v1/cases/{case_id}", {"params": {"reason": "duplicate"}}),
        ("POST", f"/api/v1/cases/{case_id}/close", {}),
        ("POST", f"/api/v1/cases/{case_id}/referrals", {"json": {"service": "shelter"}}),
        ("GET", f"/api/v1/referrals/{referral_id}", {}),
        ("POST", f"/api/v1/referrals/{referral_id}/transitions", {"json": {"status": "accepted"}}),
        ("GET", f"/api/v1/referrals/{referral_id}/package", {}),
        (
            "POST",
            f"/api/v1/cases/{case_id}/transfers",
            {"json": {"to_operation": stranger.operation_id}},
        ),
        ("POST", f"/api/v1/transfers/{transfer_id}/accept", {}),
        ("POST", f"/api/v1/transfers/{transfer_id}/decline", {}),
        ("GET", f"/api/v1/operations/{home.operation_id}/summary", {}),
    ]
    listings: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/cases", {}),
        ("GET", "/api/v1/transfers", {}),
        ("GET", "/api/v1/services", {}),
        ("POST", "/api/v1/services", {"json": {"country": "TH", "kind": "medical", "name": "N"}}),
        ("GET", f"/api/v1/services/{shelter}", {}),
        ("PATCH", f"/api/v1/services/{shelter}", {"json": {"active": False}}),
    ]
    others = {"caseworker": home.caseworker.headers}
    for role in ("investigator", "admin"):
        _, others[role] = await accounts.signed_in(role)

    for method, url, kwargs in scoped:
        before = await _denials(runtime)
        refused = await client.request(method, url, headers=stranger.coordinator_headers, **kwargs)
        assert_problem(refused, 404, "not-found")
        assert await _denials(runtime) == before + 1, (method, url)
    for method, url, kwargs in scoped + listings:
        for role, role_headers in others.items():
            before = await _denials(runtime)
            refused = await client.request(method, url, headers=role_headers, **kwargs)
            assert_problem(refused, 403, "forbidden")
            assert await _denials(runtime) == before + 1, (role, method, url)
    # Listings show a stranger nothing of the home operation.
    assert (await client.get("/api/v1/cases", headers=stranger.coordinator_headers)).json() == []
    assert (
        await client.get("/api/v1/transfers", headers=stranger.coordinator_headers)
    ).json() == []
    # And everything still works for the home coordinator: nothing was changed by the refusals.
    assert (await client.get(f"/api/v1/cases/{case_id}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/v1/referrals/{referral_id}", headers=headers)).json()[
        "status"
    ] == "proposed"
