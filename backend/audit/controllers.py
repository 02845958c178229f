"""HTTP handlers for ``/api/v1/audit`` (admins)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.audit.repositories import AuditFilter
from backend.audit.services import AuditEvent, AuditLog, Verification
from backend.db.session import READS
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["AuditController"]

_NAME_PART = r"^[A-Za-z0-9._:-]+$"


class AuditEntryOut(msgspec.Struct, kw_only=True):
    """One audit entry. Entries hold ids and outcomes, never case content."""

    seq: int
    id: uuid.UUID
    at: dt.datetime
    action: str
    outcome: str
    actor_id: uuid.UUID | None
    actor_role: str | None
    device_id: uuid.UUID | None
    object_type: str | None
    object_id: str | None
    request_id: str | None
    detail: dict[str, str | int | bool | None]
    mac: str


class AuditController(Controller):
    """Reading and verifying the audit log."""

    path = "/api/v1/audit"
    tags = ["audit"]
    guards = [allow(Role.ADMIN)]

    @get(
        "/verify",
        opt=READS,
        summary="Verify the audit chain",
        description="Walks a snapshot of the chain; never holds the write lock.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def verify(self, db_session: DbSession, runtime: RuntimeDep) -> Verification:
        return await AuditLog(db_session, runtime.keyring).verify()

    @get(
        "/entries",
        opt=READS,
        summary="Read audit entries, oldest first",
        description="Filter by actor, action, object and time; page with `after_seq`.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def entries(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        after_seq: Annotated[int, QueryParameter(ge=0, le=2**62)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        actor_id: FromQuery[uuid.UUID | None] = None,
        action: Annotated[str | None, QueryParameter(max_length=64, pattern=_NAME_PART)] = None,
        object_type: Annotated[
            str | None, QueryParameter(max_length=32, pattern=_NAME_PART)
        ] = None,
        object_id: Annotated[str | None, QueryParameter(max_length=64, pattern=_NAME_PART)] = None,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
    ) -> list[AuditEntryOut]:
        log = AuditLog(db_session, runtime.keyring)
        rows = await log.entries(
            after_seq=after_seq,
            limit=limit,
            filters=AuditFilter(
                actor_id=actor_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                since=since,
                until=until,
            ),
        )
        # Reading the log is itself on the record (appended after this read ends).
        log.record(
            AuditEvent(
                action="audit.read",
                actor_id=principal.user_id,
                actor_role=principal.role,
                detail={"entries": len(rows), "after_seq": after_seq},
            )
        )
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
