"""HTTP handlers for ``/api/v1/audit`` (admins)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from backend.audit.services import AuditLog, Verification
from backend.auth.guards import allow
from backend.deps import DbSession, RuntimeDep
from backend.errors import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["AuditController"]


class AuditEntryOut(msgspec.Struct, kw_only=True):
    """One audit entry. Entries hold ids and outcomes, never case content."""

    seq: int
    id: uuid.UUID
    at: dt.datetime
    action: str
    outcome: str
    actor_id: uuid.UUID | None
    actor_role: str | None
    device_id: FromPath[uuid.UUID] | None
    object_type: str | None
    object_id: str | None
    request_id: str | None
    detail: dict[str, str | int | bool | None]
    mac: str


class AuditController(Controller):
    """Reading and verifying the audit log."""

    path = "/api/v1/audit"
    tags = ["audit"]
    guards = [allow("admin")]

    @get(
        "/verify",
        summary="Verify the audit chain",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def verify(self, db_session: DbSession, runtime: RuntimeDep) -> Verification:
        return await AuditLog(db_session, runtime.keyring).verify()

    @get(
        "/entries",
        summary="Read audit entries, oldest first",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def entries(
        self,
        db_session: DbSession,
        runtime: RuntimeDep,
        after_seq: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[AuditEntryOut]:
        rows = await AuditLog(db_session, runtime.keyring).entries(after_seq=after_seq, limit=limit)
        return [
            AuditEntryOut(
                seq=r.seq,
                id=r.id,
                at=r.at,
                action=r.action,
                outcome=r.outcome,
                actor_id=r.actor_id,
                actor_role=r.actor_role,
                device_id=r.device_id,
                object_type=r.object_type,
                object_id=r.object_id,
                request_id=r.request_id,
                detail=msgspec.json.decode(r.detail),
                mac=r.mac.hex(),
            )
            for r in rows
        ]
