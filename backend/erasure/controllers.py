"""HTTP handlers for erasing and closing a case (coordinators of the case's operation)."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, post
from litestar.params import FromPath, FromQuery

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.session import WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.erasure.schemas import ClosureOut, ErasureOut, ErasureReason
from backend.erasure.services import ErasureService
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["ErasureController"]


class ErasureController(Controller):
    """Erasure and closure of a case."""

    path = "/api/v1/cases"
    tags = ["cases"]
    guards = [allow(Role.COORDINATOR)]

    @delete(
        "/{case_id:uuid}",
        opt=WRITES,
        status_code=200,
        summary="Erase a case: destroy its data key, leave tombstones, purge it from phones",
        description=(
            "The reason is a code in the query string (`?reason=person_request`), never free "
            "text. Every record of the case becomes a tombstone, its data key is destroyed "
            "(crypto-shredding) and phones drop the case on their next pull. Audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def erase(
        self,
        case_id: FromPath[uuid.UUID],
        reason: FromQuery[ErasureReason],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ErasureOut:
        return await ErasureService(db_session, runtime).erase(principal, case_id, reason=reason)

    @post(
        "/{case_id:uuid}/close",
        opt=WRITES,
        status_code=200,
        summary="Close a case: retention counts from now",
        description=(
            "Closing again keeps the first closure date. `lantern retention run --apply` erases "
            "cases closed longer ago than the retention setting."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def close(
        self,
        case_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ClosureOut:
        return await ErasureService(db_session, runtime).close(principal, case_id)
