"""HTTP handlers for case transfers (coordinators)."""

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
from backend.transfers.schemas import (
    TransferCreate,
    TransferDestination,
    TransferOut,
    TransferStatus,
)
from backend.transfers.services import TransferService

__all__ = ["TransferController"]


class TransferController(Controller):
    """Offer a case to another operation; its coordinators accept or decline."""

    path = "/api/v1"
    tags = ["transfers"]
    guards = [allow(Role.COORDINATOR)]

    @post(
        "/cases/{case_id:uuid}/transfers",
        opt=WRITES,
        summary="Offer a case to another operation",
        description=(
            "By a coordinator of the case's operation. Nothing moves until a coordinator of "
            "the target operation accepts. One pending transfer per case. Audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def propose(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TransferCreate],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> TransferOut:
        return await TransferService(db_session, runtime).propose(principal, case_id, data)

    @get(
        "/transfers/destinations",
        opt=READS,
        summary="Operations a case may be offered to (names and countries only)",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def destinations(
        self, db_session: DbSession, runtime: RuntimeDep
    ) -> list[TransferDestination]:
        return await TransferService(db_session, runtime).destinations()

    @get(
        "/transfers",
        opt=READS,
        summary="Transfers to or from my operations (pending ones by default)",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def listed(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        direction: FromQuery[Literal["incoming", "outgoing"] | None] = None,
        status: FromQuery[TransferStatus | None] = "pending",
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[TransferOut]:
        return await TransferService(db_session, runtime).listed(
            principal, direction=direction, status=status, limit=limit, offset=offset
        )

    @post(
        "/transfers/{transfer_id:uuid}/accept",
        opt=WRITES,
        status_code=200,
        summary="Accept a transfer: the case and all its records move to my operation",
        description=(
            "By a coordinator of the target operation. The old operation's phones get a purge "
            "of the case on their next pull; the new operation's devices receive it. Audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def accept(
        self,
        transfer_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> TransferOut:
        return await TransferService(db_session, runtime).accept(principal, transfer_id)

    @post(
        "/transfers/{transfer_id:uuid}/decline",
        opt=WRITES,
        status_code=200,
        summary="Decline a transfer: the case stays where it is",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def decline(
        self,
        transfer_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> TransferOut:
        return await TransferService(db_session, runtime).decline(principal, transfer_id)
