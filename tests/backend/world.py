"""A seeded world with a real object behind every path parameter, and a valid call per route.

The authorization matrix, the in-process contract fuzzing, the hostile-input
corpus and the log scan all need the same thing: for every route the app
serves, a request that the route's documented success answers when an
admitted role makes it. :func:`seed_world` builds one operation the way the
field does (accounts, sign-in with devices, sync pushes), with a conflict,
a quarantined mutation, a possible duplicate, a transfer, a provider, an
investigation and a disclosure request; :data:`CALLS` says, per route, how to
call it with those ids. Everything is synthetic and obviously fake.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient

from backend.duplicates.services import match_pending
from backend.runtime import Runtime
from tests.backend.investigations.support import consent, disclosure, tron
from tests.backend.sync.support import case_data, full_case, mutation
from tests.conftest import PASSWORD, Accounts

__all__ = ["CALLS", "Call", "World", "call_for", "seed_world"]

#: Seeded personal data and secrets: distinctive, so a scan of logs and problems finds them.
SECRET_NAME = "Vexlorine"
SECRET_FAMILY = "Quandrebottom"
SECRET_DOCUMENT = "ZZQ-SECRET-77123"
SECRET_PHONE = "+000-555-8642-13"
SECRET_ACCOUNT = "The zeppelin guard took my passport to the violet warehouse on Fakeville quay"
WALLET = tron("lantern-world-wallet")
OWN_WALLET = tron("lantern-world-own-wallet")


@dataclass
class World:
    """Ids of a seeded operation and the headers of one signed-in account per role."""

    headers: dict[str, dict[str, str]]
    devices: dict[str, uuid.UUID]
    user_ids: dict[str, uuid.UUID]
    passwords: dict[str, str]
    usernames: dict[str, str]
    operation_id: str
    other_operation_id: str
    case_id: str
    closable_case_id: str
    transfer_case_id: str
    duplicate_ids: tuple[str, str]
    referral_id: str
    conflict_id: str
    quarantine_id: str
    proposal_id: str
    transfer_id: str
    provider_id: str
    investigation_id: str
    case_ref: str
    request_id: str
    member_id: str
    target_user_id: str
    spare_device: uuid.UUID
    second_investigation_id: str
    second_case_ref: str
    extra: dict[str, Any] = field(default_factory=dict)


async def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200,)), response.text
    return response.json() if response.content else None


async def seed_world(client: AsyncClient, accounts: Accounts, runtime: Runtime) -> World:
    """Seed the world through the API (and the matching loop, run once)."""
    headers: dict[str, dict[str, str]] = {}
    devices: dict[str, uuid.UUID] = {}
    user_ids: dict[str, uuid.UUID] = {}
    usernames: dict[str, str] = {}
    for role in ("admin", "coordinator", "caseworker", "investigator"):
        devices[role] = uuid.uuid4()
        account, headers[role] = await accounts.signed_in(role, device_id=devices[role])
        user_ids[role] = account.id
        usernames[role] = account.username
    coord = headers["coordinator"]

    async def operation(name: str) -> str:
        body = {"name": name, "country": "KH", "site": "Fakeville Tower (synthetic)"}
        made = await _ok(await client.post("/api/v1/operations", headers=coord, json=body), 201)
        return str(made["id"])

    op_id = await operation("Operation World (synthetic)")
    other_op = await operation("Operation Elsewhere (synthetic)")
    await _ok(
        await client.post(
            f"/api/v1/operations/{op_id}/members",
            headers=coord,
            json={"user_id": str(user_ids["caseworker"])},
        ),
        201,
    )
    member = await accounts.create("caseworker")
    await _ok(
        await client.post(
            f"/api/v1/operations/{op_id}/members", headers=coord, json={"user_id": str(member.id)}
        ),
        201,
    )
    target = await accounts.create("caseworker")
    spare_device = uuid.uuid4()
    await accounts.token(member, device_id=spare_device)

    async def push(batch: list[dict[str, Any]], who: str = "caseworker") -> list[dict[str, Any]]:
        body = {"device_id": str(devices[who]), "mutations": batch}
        answer = await _ok(await client.post("/api/v1/sync/push", headers=headers[who], json=body))
        return list(answer["results"])

    def person(code: str, given: str, family: str, born: str) -> dict[str, Any]:
        return case_data(
            op_id,
            code=code,
            given_names=given,
            family_name=family,
            date_of_birth=born,
            documents=[{"kind": "passport", "number": SECRET_DOCUMENT, "held_by": "employer"}],
            contacts=[{"kind": "phone", "value": SECRET_PHONE}],
        )

    case_id = uuid.uuid4()
    batch = full_case(op_id, case_id)
    batch[0] = mutation(
        "case", case_id, person("WR01-AAAA", SECRET_NAME, SECRET_FAMILY, "1997-03-14")
    )
    batch[3] = mutation("account", uuid.uuid4(), {"case_id": str(case_id), "text": SECRET_ACCOUNT})
    batch.append(consent(case_id, "given"))
    batch.append(disclosure(case_id, WALLET, chain="tron"))
    batch.append(disclosure(case_id, OWN_WALLET, chain="tron", role="victim_own"))
    results = await push(batch)
    assert {r["status"] for r in results} == {"applied"}, results
    referral_id = next(m["id"] for m in batch if m["entity"] == "referral")

    closable, movable = uuid.uuid4(), uuid.uuid4()
    twins = (uuid.uuid4(), uuid.uuid4())
    merged = (uuid.uuid4(), uuid.uuid4())  # a second pair, merged: what unmerge undoes
    more = [
        mutation("case", closable, person("WR02-BBBB", "Zeldorf", "Plimmick", "1990-01-01")),
        mutation("case", movable, person("WR03-CCCC", "Quibble", "Fennimore", "1985-06-06")),
        mutation("case", twins[0], person("WR04-DDDD", "Zomchai", "Fakewattana", "1998-04-02")),
        mutation("case", twins[1], person("WR05-EEEE", "Fakewatana", "Zomchay", "1999-01-01")),
        mutation("case", merged[0], person("WR06-FFFF", "Quorvin", "Blandishaw", "1993-03-03")),
        mutation("case", merged[1], person("WR07-GGGG", "Quorvin", "Blandishaw", "1993-03-03")),
    ]
    assert {r["status"] for r in await push(more)} == {"applied"}
    # A conflict: the coordinator and the caseworker change one field from one base.
    await push([mutation("case", closable, {"family_name": "Server"}, base_rev=1)], "coordinator")
    clash = await push([mutation("case", closable, {"family_name": "Device"}, base_rev=1)])
    assert clash[0]["status"] == "conflict", clash
    # A quarantined mutation.
    bad = await push([mutation("case", uuid.uuid4(), case_data(op_id, age_estimate=-3))])
    assert bad[0]["status"] == "rejected", bad
    await match_pending(runtime)

    conflicts = await _ok(await client.get("/api/v1/sync/conflicts", headers=coord))
    quarantine = await _ok(await client.get("/api/v1/sync/quarantine", headers=coord))
    proposals = await _ok(
        await client.get("/api/v1/duplicates", headers=coord, params={"operation_id": op_id})
    )
    assert proposals, "the seeded twins were not proposed"
    pairs = {frozenset((str(p["left"]["id"]), str(p["right"]["id"]))): p for p in proposals}
    second_pair = pairs[frozenset(str(c) for c in merged)]
    await _ok(
        await client.post(
            f"/api/v1/duplicates/{second_pair['id']}/merge",
            headers=coord,
            json={"primary_case_id": str(merged[0])},
        )
    )
    proposals = [p for p in proposals if p["id"] != second_pair["id"]]
    transfer = await _ok(
        await client.post(
            f"/api/v1/cases/{movable}/transfers", headers=coord, json={"to_operation": other_op}
        ),
        201,
    )
    provider = await _ok(
        await client.post(
            "/api/v1/services",
            headers=coord,
            json={
                "country": "TH",
                "kind": "shelter",
                "name": "Fakeville shelter house",
                "contact": {"phone": "+000-555-0100", "email": "intake@example.invalid"},
                "languages": ["th", "en"],
                "outside": True,
            },
        ),
        201,
    )
    investigation = await _ok(
        await client.post(
            "/api/v1/investigations",
            headers=headers["investigator"],
            json={
                "title": "Synthetic ring 9",
                "purpose": "Trace scam proceeds of a synthetic compound",
                "legal_basis": "Synthetic warrant 0000/TEST",
            },
        ),
        201,
    )
    inv = str(investigation["id"])
    found = await _ok(
        await client.get(
            f"/api/v1/investigations/{inv}/addresses/tron/{WALLET}",
            headers=headers["investigator"],
        )
    )
    case_ref = str(found["cases"][0]["case_ref"])
    await _ok(
        await client.post(
            f"/api/v1/investigations/{inv}/disclosure-requests",
            headers=headers["investigator"],
            json={"case_ref": case_ref, "reason": "A witness statement (synthetic)"},
        ),
        201,
    )
    requests = await _ok(await client.get("/api/v1/disclosure-requests", headers=coord))
    # A second investigation, with no request yet: its case reference is another one.
    second = await _ok(
        await client.post(
            "/api/v1/investigations",
            headers=headers["investigator"],
            json={"title": "Ring 9b", "purpose": "Synthetic", "legal_basis": "Synthetic order 2"},
        ),
        201,
    )
    again = await _ok(
        await client.get(
            f"/api/v1/investigations/{second['id']}/addresses/tron/{WALLET}",
            headers=headers["investigator"],
        )
    )
    passwords = dict.fromkeys(headers, PASSWORD)
    return World(
        headers=headers,
        devices=devices,
        user_ids=user_ids,
        passwords=passwords,
        usernames=usernames,
        operation_id=op_id,
        other_operation_id=other_op,
        case_id=str(case_id),
        closable_case_id=str(closable),
        transfer_case_id=str(movable),
        duplicate_ids=(str(twins[0]), str(twins[1])),
        referral_id=referral_id,
        conflict_id=str(conflicts[0]["id"]),
        quarantine_id=str(quarantine[0]["id"]),
        proposal_id=str(proposals[0]["id"]),
        transfer_id=str(transfer["id"]),
        provider_id=str(provider["id"]),
        investigation_id=inv,
        case_ref=case_ref,
        request_id=str(requests[0]["id"]),
        member_id=str(member.id),
        target_user_id=str(target.id),
        spare_device=spare_device,
        second_investigation_id=str(second["id"]),
        second_case_ref=str(again["cases"][0]["case_ref"]),
        extra={"merged_proposal_id": str(second_pair["id"])},
    )


@dataclass(frozen=True)
class Call:
    """One request: its URL, query parameters and JSON body."""

    url: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None


Builder = Callable[[World, str], Call]

INV = "/api/v1/investigations/{investigation_id}"

#: Per route, a call its admitted roles succeed with (``role`` is the caller's).
CALLS: dict[tuple[str, str], Builder] = {
    ("POST", "/api/v1/auth/token"): lambda w, r: Call(
        "/api/v1/auth/token",
        json={"username": w.usernames["caseworker"], "password": w.passwords["caseworker"]},
    ),
    ("POST", "/api/v1/auth/logout"): lambda w, r: Call("/api/v1/auth/logout"),
    ("GET", "/api/v1/me"): lambda w, r: Call("/api/v1/me"),
    ("GET", "/api/v1/me/devices"): lambda w, r: Call("/api/v1/me/devices"),
    ("POST", "/api/v1/devices/{device_id}/revoke"): lambda w, r: Call(
        f"/api/v1/devices/{w.spare_device}/revoke"
    ),
    ("POST", "/api/v1/users"): lambda w, r: Call(
        "/api/v1/users",
        json={
            "username": f"made-{uuid.uuid4().hex[:8]}",
            "password": "correct-horse-battery-staple-9",
            "role": "caseworker",
        },
    ),
    ("GET", "/api/v1/users"): lambda w, r: Call("/api/v1/users"),
    ("POST", "/api/v1/users/{user_id}/disable"): lambda w, r: Call(
        f"/api/v1/users/{w.target_user_id}/disable"
    ),
    ("POST", "/api/v1/users/{user_id}/enable"): lambda w, r: Call(
        f"/api/v1/users/{w.target_user_id}/enable"
    ),
    ("POST", "/api/v1/users/{user_id}/revoke-tokens"): lambda w, r: Call(
        f"/api/v1/users/{w.target_user_id}/revoke-tokens"
    ),
    ("POST", "/api/v1/users/{user_id}/unlock"): lambda w, r: Call(
        f"/api/v1/users/{w.target_user_id}/unlock"
    ),
    ("GET", "/api/v1/users/{user_id}/devices"): lambda w, r: Call(
        f"/api/v1/users/{w.member_id}/devices"
    ),
    ("POST", "/api/v1/operations"): lambda w, r: Call(
        "/api/v1/operations", json={"name": "Operation New", "country": "TH", "site": "Fake Bay"}
    ),
    ("GET", "/api/v1/operations"): lambda w, r: Call("/api/v1/operations"),
    ("GET", "/api/v1/operations/{operation_id}"): lambda w, r: Call(
        f"/api/v1/operations/{w.operation_id}"
    ),
    ("POST", "/api/v1/operations/{operation_id}/members"): lambda w, r: Call(
        f"/api/v1/operations/{w.operation_id}/members", json={"user_id": w.target_user_id}
    ),
    ("GET", "/api/v1/operations/{operation_id}/members"): lambda w, r: Call(
        f"/api/v1/operations/{w.operation_id}/members"
    ),
    ("DELETE", "/api/v1/operations/{operation_id}/members/{user_id}"): lambda w, r: Call(
        f"/api/v1/operations/{w.operation_id}/members/{w.member_id}"
    ),
    ("GET", "/api/v1/audit/verify"): lambda w, r: Call("/api/v1/audit/verify"),
    ("GET", "/api/v1/audit/entries"): lambda w, r: Call("/api/v1/audit/entries"),
    ("GET", "/api/v1/instruments"): lambda w, r: Call("/api/v1/instruments"),
    ("GET", "/api/v1/instruments/{key}"): lambda w, r: Call("/api/v1/instruments/scam_compound"),
    ("POST", "/api/v1/screenings/assess"): lambda w, r: Call(
        "/api/v1/screenings/assess",
        json={
            "instrument_key": "scam_compound",
            "instrument_version": 2,
            "answers": {"age_years": {"value": 16}},
        },
    ),
    ("POST", "/api/v1/addresses/normalize"): lambda w, r: Call(
        "/api/v1/addresses/normalize", json={"address": WALLET}
    ),
    ("POST", "/api/v1/sync/push"): lambda w, r: Call(
        "/api/v1/sync/push",
        json={
            "device_id": str(w.devices[r]),
            "mutations": [
                mutation("case", uuid.uuid4(), case_data(w.operation_id, code="WR09-ZZZZ"))
            ],
        },
    ),
    ("GET", "/api/v1/sync/pull"): lambda w, r: Call("/api/v1/sync/pull"),
    ("GET", "/api/v1/sync/conflicts"): lambda w, r: Call("/api/v1/sync/conflicts"),
    ("POST", "/api/v1/sync/conflicts/{conflict_id}/resolve"): lambda w, r: Call(
        f"/api/v1/sync/conflicts/{w.conflict_id}/resolve", json={"keep": "device"}
    ),
    ("GET", "/api/v1/sync/quarantine"): lambda w, r: Call("/api/v1/sync/quarantine"),
    ("POST", "/api/v1/sync/quarantine/{item_id}/resolve"): lambda w, r: Call(
        f"/api/v1/sync/quarantine/{w.quarantine_id}/resolve", json={"action": "dismiss"}
    ),
    ("GET", "/api/v1/cases"): lambda w, r: Call(
        "/api/v1/cases", params={"operation_id": w.operation_id}
    ),
    ("GET", "/api/v1/cases/{case_id}"): lambda w, r: Call(f"/api/v1/cases/{w.case_id}"),
    ("DELETE", "/api/v1/cases/{case_id}"): lambda w, r: Call(
        f"/api/v1/cases/{w.closable_case_id}", params={"reason": "entered_in_error"}
    ),
    ("POST", "/api/v1/cases/{case_id}/close"): lambda w, r: Call(
        f"/api/v1/cases/{w.closable_case_id}/close"
    ),
    ("POST", "/api/v1/cases/{case_id}/referrals"): lambda w, r: Call(
        f"/api/v1/cases/{w.case_id}/referrals",
        json={"service": "shelter", "provider_id": w.provider_id},
    ),
    ("GET", "/api/v1/referrals/{referral_id}"): lambda w, r: Call(
        f"/api/v1/referrals/{w.referral_id}"
    ),
    ("POST", "/api/v1/referrals/{referral_id}/transitions"): lambda w, r: Call(
        f"/api/v1/referrals/{w.referral_id}/transitions", json={"status": "accepted"}
    ),
    ("GET", "/api/v1/referrals/{referral_id}/package"): lambda w, r: Call(
        f"/api/v1/referrals/{w.referral_id}/package"
    ),
    ("POST", "/api/v1/cases/{case_id}/transfers"): lambda w, r: Call(
        f"/api/v1/cases/{w.case_id}/transfers", json={"to_operation": w.other_operation_id}
    ),
    ("GET", "/api/v1/transfers"): lambda w, r: Call("/api/v1/transfers"),
    ("POST", "/api/v1/transfers/{transfer_id}/accept"): lambda w, r: Call(
        f"/api/v1/transfers/{w.transfer_id}/accept"
    ),
    ("POST", "/api/v1/transfers/{transfer_id}/decline"): lambda w, r: Call(
        f"/api/v1/transfers/{w.transfer_id}/decline"
    ),
    ("GET", "/api/v1/operations/{operation_id}/summary"): lambda w, r: Call(
        f"/api/v1/operations/{w.operation_id}/summary"
    ),
    ("GET", "/api/v1/services"): lambda w, r: Call("/api/v1/services"),
    ("POST", "/api/v1/services"): lambda w, r: Call(
        "/api/v1/services",
        json={
            "country": "KH",
            "kind": "medical",
            "name": "Fakeville clinic",
            "contact": {"phone": "+000-555-0101"},
            "languages": ["km"],
            "outside": False,
        },
    ),
    ("GET", "/api/v1/services/{provider_id}"): lambda w, r: Call(
        f"/api/v1/services/{w.provider_id}"
    ),
    ("PATCH", "/api/v1/services/{provider_id}"): lambda w, r: Call(
        f"/api/v1/services/{w.provider_id}", json={"active": False}
    ),
    ("GET", "/api/v1/duplicates"): lambda w, r: Call(
        "/api/v1/duplicates", params={"operation_id": w.operation_id}
    ),
    ("POST", "/api/v1/duplicates/{proposal_id}/merge"): lambda w, r: Call(
        f"/api/v1/duplicates/{w.proposal_id}/merge", json={"primary_case_id": w.duplicate_ids[0]}
    ),
    ("POST", "/api/v1/duplicates/{proposal_id}/unmerge"): lambda w, r: Call(
        f"/api/v1/duplicates/{w.extra['merged_proposal_id']}/unmerge"
    ),
    ("GET", "/api/v1/transfers/destinations"): lambda w, r: Call("/api/v1/transfers/destinations"),
    ("POST", "/api/v1/auth/networks/unlock"): lambda w, r: Call(
        "/api/v1/auth/networks/unlock", json={"address": "192.0.2.10"}
    ),
    ("POST", "/api/v1/duplicates/{proposal_id}/dismiss"): lambda w, r: Call(
        f"/api/v1/duplicates/{w.proposal_id}/dismiss"
    ),
    ("POST", "/api/v1/investigations"): lambda w, r: Call(
        "/api/v1/investigations",
        json={"title": "Ring 10", "purpose": "Synthetic", "legal_basis": "Synthetic order 1"},
    ),
    ("GET", "/api/v1/investigations"): lambda w, r: Call("/api/v1/investigations"),
    ("GET", INV): lambda w, r: Call(f"/api/v1/investigations/{w.investigation_id}"),
    ("GET", f"{INV}/addresses"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/addresses",
        params={"chain": "tron", "prefix": WALLET[:8]},
    ),
    ("GET", f"{INV}/addresses/{{chain}}/{{address}}"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/addresses/tron/{WALLET}"
    ),
    ("GET", f"{INV}/graph/hubs"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/graph/hubs"
    ),
    ("GET", f"{INV}/graph/clusters"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/graph/clusters"
    ),
    ("GET", f"{INV}/graph/cluster/{{chain}}/{{address}}"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/graph/cluster/tron/{WALLET}"
    ),
    ("GET", f"{INV}/summary"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/summary"
    ),
    ("GET", f"{INV}/exports/{{export_format}}"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/exports/csv"
    ),
    ("POST", f"{INV}/disclosure-requests"): lambda w, r: Call(
        f"/api/v1/investigations/{w.second_investigation_id}/disclosure-requests",
        json={"case_ref": w.second_case_ref, "reason": "A witness statement (synthetic)"},
    ),
    ("GET", f"{INV}/disclosure-requests"): lambda w, r: Call(
        f"/api/v1/investigations/{w.investigation_id}/disclosure-requests"
    ),
    ("GET", "/api/v1/disclosure-requests"): lambda w, r: Call("/api/v1/disclosure-requests"),
    ("POST", "/api/v1/disclosure-requests/{request_id}/decide"): lambda w, r: Call(
        f"/api/v1/disclosure-requests/{w.request_id}/decide", json={"decision": "approve"}
    ),
    ("PUT", "/api/v1/linkage/cases/{case_id}/legal-basis"): lambda w, r: Call(
        f"/api/v1/linkage/cases/{w.case_id}/legal-basis",
        json={"legal_basis": "Synthetic court order 12/TEST"},
    ),
    ("DELETE", "/api/v1/linkage/cases/{case_id}/legal-basis"): lambda w, r: Call(
        f"/api/v1/linkage/cases/{w.case_id}/legal-basis"
    ),
    ("GET", "/metrics"): lambda w, r: Call("/metrics"),
    ("GET", "/health/live"): lambda w, r: Call("/health/live"),
    ("GET", "/health/ready"): lambda w, r: Call("/health/ready"),
}


def call_for(world: World, method: str, path: str, role: str) -> Call:
    """The call of route ``(method, path)`` as ``role``."""
    return CALLS[(method, path)](world, role)
