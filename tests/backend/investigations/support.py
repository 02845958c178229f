"""Synthetic cases with disclosures, pushed through sync, and an investigator to query them.

Every address is made from a seed (valid checksums, obviously synthetic);
every identity value is fake by design.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import base58
from httpx import AsyncClient

from tests.backend.sync.support import Device, Field, case_data, field_operation, mutation, now
from tests.conftest import Accounts

INVESTIGATIONS = "/api/v1/investigations"


def _digest(seed: str, n: int = 20) -> bytes:
    return hashlib.sha256(seed.encode()).digest()[:n]


def tron(seed: str) -> str:
    """A valid Tron address made from a seed."""
    return base58.b58encode_check(b"\x41" + _digest(seed)).decode()


def bitcoin(seed: str) -> str:
    """A valid Bitcoin P2PKH address made from a seed (also valid on Bitcoin Cash)."""
    return base58.b58encode_check(b"\x00" + _digest(seed)).decode()


def ethereum(seed: str) -> str:
    """A valid all-lower-case EVM address made from a seed."""
    return "0x" + _digest(seed).hex()


def txid(seed: str) -> str:
    """A 64-hex transaction id made from a seed."""
    return hashlib.sha256(seed.encode()).hexdigest()


def consent(
    case_id: uuid.UUID, state: str, *, at: str | None = None, supersedes: str | None = None
) -> dict[str, Any]:
    """A financial-investigation consent record (naming the record it supersedes, if any)."""
    extra = {"supersedes": supersedes} if supersedes else {}
    return mutation(
        "consent",
        uuid.uuid4(),
        {
            "case_id": str(case_id),
            "purpose": "financial_investigation",
            "state": state,
            "recorded_at": at or now(),
            "language": "km",
            "interpreter_present": True,
            **extra,
        },
    )


def disclosure(case_id: uuid.UUID, raw: str, **fields: Any) -> dict[str, Any]:
    """A disclosure record (a wallet unless ``kind`` says otherwise)."""
    data = {"case_id": str(case_id), "kind": "wallet", "role": "scam_collection", "raw": raw}
    data.update(fields)
    return mutation("disclosure", fields.pop("record_id", None) or uuid.uuid4(), data)


@dataclass
class Site:
    """An operation with a coordinator's device, and the cases pushed to it."""

    field: Field
    cases: list[uuid.UUID] = field(default_factory=list)

    @property
    def device(self) -> Device:
        return self.field.coordinator

    async def push(self, mutations: list[dict[str, Any]]) -> None:
        results = await self.device.push(mutations)
        assert all(r["status"] == "applied" for r in results), results

    async def case(
        self,
        *,
        consent_state: str | None = "given",
        disclosures: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
        code: str | None = None,
        **identity: Any,
    ) -> uuid.UUID:
        """Push a case, its consent and its disclosures; return its id."""
        case_id = uuid.uuid4()
        n = len(self.cases) + 1
        batch = [
            mutation(
                "case",
                case_id,
                case_data(self.field.operation_id, code=code or f"LK{n:02d}-TEST", **identity),
            )
        ]
        if consent_state is not None:
            batch.append(consent(case_id, consent_state))
        batch += [disclosure(case_id, raw, **extra) for raw, extra in disclosures]
        await self.push(batch)
        self.cases.append(case_id)
        return case_id


async def site(client: AsyncClient, accounts: Accounts) -> Site:
    """A fresh operation with its coordinator and caseworker."""
    return Site(await field_operation(client, accounts))


@dataclass
class Investigator:
    """An investigator with one investigation open."""

    client: AsyncClient
    headers: dict[str, str]
    investigation: str

    @property
    def base(self) -> str:
        return f"{INVESTIGATIONS}/{self.investigation}"

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(self.base + path, headers=self.headers, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def lookup(self, chain: str, address: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.get(f"/addresses/{chain}/{address}")
        return found


async def investigator(
    client: AsyncClient, accounts: Accounts, *, headers: dict[str, str] | None = None
) -> Investigator:
    """Open an investigation (as a new investigator unless ``headers`` are given)."""
    if headers is None:
        _, headers = await accounts.signed_in("investigator")
    response = await client.post(
        INVESTIGATIONS + "/",
        headers=headers,
        json={
            "title": "Synthetic ring 7",
            "purpose": "Trace scam proceeds of a synthetic compound",
            "legal_basis": "Synthetic warrant 0000/TEST",
        },
    )
    assert response.status_code == 201, response.text
    return Investigator(client, headers, response.json()["id"])
