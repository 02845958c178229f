"""HTTP handlers for ``/api/v1/sync``."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses
from backend.sync.pull import PullService
from backend.sync.push import PushService
from backend.sync.review import ReviewService
from backend.sync.schemas import (
    ConflictOut,
    ConflictResolve,
    PullResponse,
    PushRequest,
    PushResponse,
    QuarantineOut,
    QuarantineResolve,
)

__all__ = ["SyncController"]

_FIELD_WORKERS = [allow(Role.CASEWORKER, Role.COORDINATOR)]
_COORDINATORS = [allow(Role.COORDINATOR)]
_CURSOR = r"^[A-Za-z0-9_-]{1,8192}$"


class SyncController(Controller):
    """Push, pull, and the coordinators' view of conflicts and quarantine."""

    path = "/api/v1/sync"
    tags = ["sync"]

    @post(
        "/push",
        guards=_FIELD_WORKERS,
        opt=WRITES,
        status_code=200,
        summary="Push a batch of mutations from this device",
        description=(
            "Up to 500 mutations (a larger batch is a 413 problem); each is applied on its own "
            "and gets a durable result: `applied`, `duplicate` (seen before: the stored result, "
            "nothing changes), `conflict` (a field changed on both sides: the server kept its "
            "value and the device's is kept for a coordinator), `rejected` (a problem naming "
            "the field; the payload is kept in quarantine), or `waiting` (an update or a child "
            "record that arrived before its record or case; applied when that arrives)."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def push(
        self,
        data: JSONBody[PushRequest],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> PushResponse:
        results = await PushService(db_session, runtime).push(principal, data)
        return PushResponse(results=results)

    @get(
        "/pull",
        guards=_FIELD_WORKERS,
        opt=READS,
        summary="Pull the next page of changes in my scope",
        description=(
            "Changes in commit order. Send the returned `cursor` back; stop when `has_more` is "
            "false. A `purge` change of entity `operation` means: delete everything of that "
            "operation from this device. A cursor from before a server restore is a 409 "
            "problem whose `action` is `re-push-then-resync`."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 409),
    )
    async def pull(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        cursor: Annotated[str | None, QueryParameter(pattern=_CURSOR)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 500,
    ) -> PullResponse:
        return await PullService(db_session, runtime).pull(principal, cursor=cursor, limit=limit)

    @get(
        "/conflicts",
        guards=_COORDINATORS,
        opt=READS,
        summary="Conflicts in my operations",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def conflicts(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        status: FromQuery[Literal["open", "resolved"] | None] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[ConflictOut]:
        return await ReviewService(db_session, runtime).conflicts(
            principal, status=status, limit=limit, offset=offset
        )

    @post(
        "/conflicts/{conflict_id:uuid}/resolve",
        guards=_COORDINATORS,
        opt=WRITES,
        status_code=204,
        summary="Resolve a conflict: keep the server's value or take the device's",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def resolve(
        self,
        conflict_id: FromPath[uuid.UUID],
        data: JSONBody[ConflictResolve],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> None:
        await ReviewService(db_session, runtime).resolve_conflict(
            principal, conflict_id, keep=data.keep
        )

    @get(
        "/quarantine",
        guards=_COORDINATORS,
        opt=READS,
        summary="Mutations that could not be applied, in my operations",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def quarantine(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        status: FromQuery[Literal["open", "waiting", "applied", "dismissed"] | None] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[QuarantineOut]:
        return await ReviewService(db_session, runtime).quarantine(
            principal, status=status, limit=limit, offset=offset
        )

    @post(
        "/quarantine/{item_id:uuid}/resolve",
        guards=_COORDINATORS,
        opt=WRITES,
        status_code=204,
        summary="Dismiss a quarantined mutation once it has been dealt with",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def dismiss(
        self,
        item_id: FromPath[uuid.UUID],
        data: JSONBody[QuarantineResolve],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> None:
        await ReviewService(db_session, runtime).dismiss(principal, item_id)
