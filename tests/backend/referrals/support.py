"""Providers, consents and referrals for the coordinators' tests (all obviously fake)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from httpx import AsyncClient

from tests.backend.sync.support import Field, mutation

SERVICES = "/api/v1/services"


def consent(case_id: uuid.UUID, purpose: str, state: str, *, minutes: int = 0) -> dict[str, Any]:
    """A consent record, ``minutes`` after a fixed moment (so the order is certain)."""
    at = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    return mutation(
        "consent",
        uuid.uuid4(),
        {
            "case_id": str(case_id),
            "purpose": purpose,
            "state": state,
            "recorded_at": at.isoformat(),
        },
    )


async def provider(
    client: AsyncClient, field: Field, *, kind: str = "shelter", outside: bool = True
) -> str:
    created = await client.post(
        SERVICES,
        headers=field.coordinator_headers,
        json={
            "country": "TH",
            "kind": kind,
            "name": f"Fakeville {kind} house",
            "contact": {"phone": "+000-555-0100", "email": "intake@example.invalid"},
            "languages": ["th", "en"],
            "outside": outside,
        },
    )
    assert created.status_code == 201, created.text
    provider_id: str = created.json()["id"]
    return provider_id
