"""HTTP handlers for ``/api/v1/operations``."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody

from backend.auth.guards import allow
from backend.db.models import Operation, OperationMember, User
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.errors import AUTHENTICATED_PROBLEMS, problem_responses
from backend.operations.schemas import MemberAdd, MemberOut, OperationCreate, OperationOut
from backend.operations.services import OperationService

__all__ = ["OperationController"]


def _out(op: Operation) -> OperationOut:
    return OperationOut(
        id=op.id,
        name=op.name,
        country=op.country,
        site=op.site,
        starts_on=op.starts_on,
        ends_on=op.ends_on,
        created_at=op.created_at,
    )


def _member(member: OperationMember, user: User) -> MemberOut:
    return MemberOut(
        operation_id=member.operation_id,
        user_id=user.id,
        username=user.username,
        role=user.role,  # type: ignore[arg-type]
        added_at=member.added_at,
    )


class OperationController(Controller):
    """Operations and their members."""

    path = "/api/v1/operations"
    tags = ["operations"]

    @post(
        "/",
        guards=[allow("coordinator")],
        summary="Create an operation",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def create(
        self,
        data: JSONBody[OperationCreate],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> OperationOut:
        return _out(await OperationService(db_session, runtime).create(principal, data))

    @get(
        "/",
        guards=[allow("caseworker", "coordinator")],
        summary="Operations I belong to",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def list_mine(
        self, principal: CurrentPrincipal, db_session: DbSession, runtime: RuntimeDep
    ) -> list[OperationOut]:
        return [_out(op) for op in await OperationService(db_session, runtime).list_mine(principal)]

    @get(
        "/{operation_id:uuid}",
        guards=[allow("caseworker", "coordinator")],
        summary="One operation",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def get_one(
        self,
        operation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> OperationOut:
        return _out(await OperationService(db_session, runtime).get(principal, operation_id))

    @post(
        "/{operation_id:uuid}/members",
        guards=[allow("coordinator")],
        summary="Add a member",
        description="201 when added, 200 when the user already was a member.",
        status_code=201,
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def add_member(
        self,
        operation_id: FromPath[uuid.UUID],
        data: JSONBody[MemberAdd],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> Response[MemberOut]:
        member, user, created = await OperationService(db_session, runtime).add_member(
            principal, operation_id, data.user_id
        )
        return Response(_member(member, user), status_code=201 if created else 200)

    @get(
        "/{operation_id:uuid}/members",
        guards=[allow("coordinator")],
        summary="List members",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def list_members(
        self,
        operation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> list[MemberOut]:
        rows = await OperationService(db_session, runtime).members(principal, operation_id)
        return [_member(m, u) for m, u in rows]
