"""Synthetic field data and a small device client for the sync tests (all obviously fake)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient

from tests.conftest import Account, Accounts

PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"

#: Seeded identity data the encryption test looks for in raw storage. Fake by design.
FAKE_GIVEN = "Zorblatt"
FAKE_FAMILY = "Quixmantle"
FAKE_DOCUMENT = "ZZ9PLURALZ-0042"
FAKE_PHONE = "+000-555-0199-77"
FAKE_ACCOUNT = "They kept my passport in the blue cabinet near the canteen at Fakeville Tower"
FAKE_BIRTH = "1999-02-28"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def mutation(
    entity: str,
    record_id: uuid.UUID,
    data: dict[str, Any],
    *,
    op: str = "upsert",
    base_rev: int | None = None,
    mutation_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "mutation_id": str(mutation_id or uuid.uuid4()),
        "entity": entity,
        "id": str(record_id),
        "op": op,
        "base_rev": base_rev,
        "data": data,
        "client_time": now(),
    }


def case_data(operation_id: str, code: str = "AB12-CD34", **extra: Any) -> dict[str, Any]:
    return {
        "operation_id": operation_id,
        "case_code": code,
        "given_names": FAKE_GIVEN,
        "family_name": FAKE_FAMILY,
        "date_of_birth": FAKE_BIRTH,
        "sex": "unknown",
        "nationality": "KH",
        "languages": ["km", "en"],
        "documents": [{"kind": "passport", "number": FAKE_DOCUMENT, "held_by": "employer"}],
        "contacts": [{"kind": "phone", "value": FAKE_PHONE}],
        **extra,
    }


def full_case(operation_id: str, case_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """A case with a consent, a completed screening, an account, a disclosure and a referral."""
    case_id = case_id or uuid.uuid4()
    cid = str(case_id)
    return [
        mutation("case", case_id, case_data(operation_id)),
        mutation(
            "consent",
            uuid.uuid4(),
            {
                "case_id": cid,
                "purpose": "services",
                "state": "given",
                "recorded_at": now(),
                "language": "km",
                "interpreter_present": True,
            },
        ),
        mutation(
            "screening",
            uuid.uuid4(),
            {
                "case_id": cid,
                "instrument_key": "scam_compound",
                "instrument_version": 2,
                "locale": "km",
                "answers": {"age_years": {"value": 16}},
                "started_at": now(),
                "completed_at": now(),
            },
        ),
        mutation("account", uuid.uuid4(), {"case_id": cid, "text": FAKE_ACCOUNT}),
        mutation(
            "disclosure",
            uuid.uuid4(),
            {"case_id": cid, "kind": "wallet", "role": "paid_to_perpetrator", "raw": "TXfake0000"},
        ),
        mutation(
            "referral", uuid.uuid4(), {"case_id": cid, "service": "medical", "status": "proposed"}
        ),
    ]


@dataclass
class Device:
    """A phone: its id, its user's headers, and the cursor it has pulled to."""

    client: AsyncClient
    id: uuid.UUID
    headers: dict[str, str]
    user_id: uuid.UUID
    cursor: str | None = None
    seen: list[dict[str, Any]] = field(default_factory=list)

    async def push(self, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = await self.client.post(
            PUSH, headers=self.headers, json={"device_id": str(self.id), "mutations": mutations}
        )
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    async def pull_all(self, *, limit: int = 500) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"limit": limit}
            if self.cursor:
                params["cursor"] = self.cursor
            response = await self.client.get(PULL, headers=self.headers, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            got += body["changes"]
            self.cursor = body["cursor"]
            if not body["has_more"]:
                break
        self.seen += got
        return got


@dataclass
class Field:
    """An operation with a coordinator and a caseworker, each on a device."""

    operation_id: str
    coordinator: Device
    caseworker: Device
    coordinator_headers: dict[str, str]
    #: The coordinator's account (to sign in again, say after a master key is destroyed).
    coordinator_account: Account | None = None


async def field_operation(client: AsyncClient, accounts: Accounts) -> Field:
    coordinator_device = uuid.uuid4()
    coordinator, coord = await accounts.signed_in("coordinator", device_id=coordinator_device)
    operation = await client.post(
        "/api/v1/operations",
        headers=coord,
        json={"name": "Operation Testbed", "country": "KH", "site": "Fakeville Tower"},
    )
    assert operation.status_code == 201, operation.text
    op_id = operation.json()["id"]
    worker = await accounts.create("caseworker")
    added = await client.post(
        f"/api/v1/operations/{op_id}/members", headers=coord, json={"user_id": str(worker.id)}
    )
    assert added.status_code == 201
    phone = uuid.uuid4()
    worker_headers = await accounts.headers(worker, device_id=phone)
    return Field(
        operation_id=op_id,
        coordinator=Device(client, coordinator_device, coord, coordinator.id),
        caseworker=Device(client, phone, worker_headers, worker.id),
        coordinator_headers=coord,
        coordinator_account=coordinator,
    )
