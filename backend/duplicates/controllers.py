"""HTTP handlers for ``/api/v1/duplicates`` (coordinators): possible duplicates, merge, dismiss, unmerge."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.duplicates.schemas import DuplicateOut, MergeIn
from backend.duplicates.services import DuplicateService
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["DuplicateController"]


class DuplicateController(Controller):
    """Possible duplicate persons, proposed to the coordinators of both cases' operations."""

    path = "/api/v1/duplicates"
    tags = ["duplicates"]
    guards = [allow(Role.COORDINATOR)]

    @get(
        "/",
        opt=READS,
        summary="Possible duplicates touching one of my operations, best first",
        description=(
            "Pairs of cases that may be one person (screened twice, spelled differently), "
            "found from keyed encodings of name, birth year, nationality and sex. Only case "
            "ids and codes are shown; a pair is listed only when both cases are in operations "
            "I belong to. Nothing is ever merged automatically. The read is audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def list_duplicates(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        operation_id: FromQuery[uuid.UUID],
        status: FromQuery[Literal["open", "merged", "dismissed"] | None] = "open",
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[DuplicateOut]:
        return await DuplicateService(db_session, runtime).list(
            principal, operation_id=operation_id, status=status, limit=limit, offset=offset
        )

    @post(
        "/{proposal_id:uuid}/merge",
        opt=WRITES,
        status_code=200,
        summary="Merge a possible duplicate: link the two cases, one of them primary",
        description=(
            "Neither case is deleted or changed: both keep their records and histories, and the "
            "link names which one is primary. Refused (409) once the pair was decided."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def merge(
        self,
        proposal_id: FromPath[uuid.UUID],
        data: JSONBody[MergeIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> DuplicateOut:
        return await DuplicateService(db_session, runtime).merge(
            principal, proposal_id, primary_case_id=data.primary_case_id
        )

    @post(
        "/{proposal_id:uuid}/dismiss",
        opt=WRITES,
        status_code=200,
        summary="Dismiss a possible duplicate: two different people",
        description="The pair is not proposed again. Refused (409) once the pair was decided.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def dismiss(
        self,
        proposal_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> DuplicateOut:
        return await DuplicateService(db_session, runtime).dismiss(principal, proposal_id)

    @post(
        "/{proposal_id:uuid}/unmerge",
        opt=WRITES,
        status_code=200,
        summary="Undo a merge: the two cases are no longer linked, the pair is open again",
        description=(
            "A merge changed neither case, so undoing it only unlinks them; both the merge and "
            "its undoing stay in the audit log. Refused (409) unless the pair is merged."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def unmerge(
        self,
        proposal_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> DuplicateOut:
        return await DuplicateService(db_session, runtime).unmerge(principal, proposal_id)
