"""No identity leaks: every investigator route and export, searched for every seeded identity value."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from httpx import AsyncClient

from backend.investigations import schemas
from tests.backend.investigations.support import consent, disclosure, investigator, tron
from tests.backend.sync.support import (
    FAKE_ACCOUNT,
    FAKE_BIRTH,
    FAKE_DOCUMENT,
    FAKE_FAMILY,
    FAKE_GIVEN,
    FAKE_PHONE,
    case_data,
    field_operation,
    mutation,
)
from tests.conftest import Accounts

RING = [tron(f"leak-ring-{n}") for n in range(3)]
OWN = tron("leak-own")
RECRUITER_HANDLE = "@fake_recruiter_zorblatt"


async def test_no_investigator_answer_carries_an_identity_value(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await field_operation(client, accounts)
    phone = place.caseworker
    secrets: set[str] = {
        FAKE_GIVEN,
        FAKE_FAMILY,
        FAKE_BIRTH,
        FAKE_DOCUMENT,
        FAKE_PHONE,
        FAKE_ACCOUNT,
        RECRUITER_HANDLE,
        str(phone.id),
        str(phone.user_id),
        place.operation_id,
    }
    usernames = await client.get("/api/v1/users", headers=place.coordinator_headers)
    secrets |= {u["username"] for u in usernames.json()}
    for n in range(6):
        case_id = uuid.uuid4()
        code = f"LEAK-{n:04d}"
        secrets |= {code, str(case_id)}
        batch = [
            mutation("case", case_id, case_data(place.operation_id, code=code)),
            consent(case_id, "given"),
            mutation("account", uuid.uuid4(), {"case_id": str(case_id), "text": FAKE_ACCOUNT}),
            disclosure(
                case_id,
                RING[n % 3],
                chain="tron",
                kind="payment",
                asset="USDT",
                amount="12.5",
                date_from="2026-03-01",
                note=f"{FAKE_GIVEN} said so, call {FAKE_PHONE}",
            ),
            disclosure(case_id, RING[(n + 1) % 3], chain="tron", role="paid_to_perpetrator"),
            disclosure(case_id, OWN, chain="tron", role="victim_own"),
            disclosure(case_id, RECRUITER_HANDLE, kind="recruiter", role="unknown"),
        ]
        for item in batch:
            secrets.add(item["id"])
        results = await phone.push(batch)
        assert all(r["status"] == "applied" for r in results), results
    who = await investigator(client, accounts)
    answers: list[str] = []

    async def call(method: str, path: str, **kwargs: Any) -> Any:
        response = await client.request(method, who.base + path, headers=who.headers, **kwargs)
        assert response.status_code < 300, response.text
        answers.append(response.text)
        return response.json() if "json" in response.headers["content-type"] else None

    found = await call("GET", f"/addresses/tron/{RING[0]}")
    await call("GET", f"/addresses/tron/{OWN}")
    await call("GET", "/addresses", params={"chain": "tron", "prefix": RING[1][:7]})
    await call("GET", "/graph/hubs", params={"min_cases": 2, "min_operations": 1})
    await call("GET", "/graph/clusters")
    await call("GET", f"/graph/cluster/tron/{RING[2]}")
    await call("GET", "/summary")
    await call("GET", "/exports/tagpack")
    await call("GET", "/exports/csv")
    await call("GET", "")
    answers.append((await client.get("/api/v1/investigations", headers=who.headers)).text)
    await call(
        "POST",
        "/disclosure-requests",
        json={"case_ref": found["cases"][0]["case_ref"], "reason": "Synthetic witness request"},
    )
    (request,) = (
        await client.get("/api/v1/disclosure-requests", headers=place.coordinator_headers)
    ).json()
    decided = await client.post(
        f"/api/v1/disclosure-requests/{request['id']}/decide",
        headers=place.coordinator_headers,
        json={"decision": "approve"},
    )
    assert decided.status_code == 200
    (approved,) = await call("GET", "/disclosure-requests")
    assert approved["revealed"] == [{"chain": "tron", "address": OWN}]
    await call("GET", f"/addresses/tron/{OWN}")
    await call("GET", "/exports/csv")
    assert RING[0] in answers[0]
    for answer in answers:
        leaked = sorted(s for s in secrets if s.lower() in answer.lower())
        assert not leaked, leaked


#: Text the investigator typed themselves, handed back to them as typed.
OWN_TEXT = {
    ("InvestigationOut", "title"),
    ("InvestigationOut", "purpose"),
    ("InvestigationOut", "legal_basis"),
    ("DisclosureRequestOut", "reason"),
}
INVESTIGATOR_RESULTS = (
    schemas.InvestigationOut,
    schemas.AddressLookup,
    schemas.SearchHit,
    schemas.Hub,
    schemas.ClusterSummary,
    schemas.ClusterExpansion,
    schemas.Summary,
    schemas.DisclosureRequestOut,
)


def _unsafe(kind: Any, owner: str, name: str, seen: set[str]) -> list[str]:
    """Fields of a result type that could hold free text."""
    if isinstance(kind, msgspec.inspect.StructType):
        if kind.cls.__name__ in seen:
            return []
        seen.add(kind.cls.__name__)
        return [
            bad for f in kind.fields for bad in _unsafe(f.type, kind.cls.__name__, f.name, seen)
        ]
    if isinstance(kind, msgspec.inspect.StrType):
        free = kind.pattern is None and (owner, name) not in OWN_TEXT
        return [f"{owner}.{name}"] if free else []
    if isinstance(kind, (msgspec.inspect.ListType, msgspec.inspect.SetType)):
        return _unsafe(kind.item_type, owner, name, seen)
    if isinstance(kind, msgspec.inspect.UnionType):
        return [bad for t in kind.types for bad in _unsafe(t, owner, name, seen)]
    if isinstance(kind, msgspec.inspect.DictType | msgspec.inspect.AnyType):
        return [f"{owner}.{name}"]
    return []  # literals, numbers, decimals, dates, times, uuids, booleans, None


def test_investigator_results_hold_no_free_text() -> None:
    for result in INVESTIGATOR_RESULTS:
        assert _unsafe(msgspec.inspect.type_info(result), "", "", set()) == [], result
