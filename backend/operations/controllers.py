"""HTTP handlers for ``/api/v1/operations``."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.models import Operation, OperationMember, User
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.operations.schemas import MemberAdd, MemberOut, OperationCreate, OperationOut
from backend.operations.services import OperationService
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

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
        role=Role(user.role),
        added_at=member.added_at,
    )


class OperationController(Controller):
    """Operations and their members."""

    path = "/api/v1/operations"
    tags = ["operations"]

    @post(
        "/",
        guards=[allow(Role.COORDINATOR)],
        opt=WRITES,
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
        guards=[allow(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)],
        opt=READS,
        summary="Operations I belong to (every operation, for an admin)",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def list_visible(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[OperationOut]:
        operations = await OperationService(db_session, runtime).list_visible(
            principal, limit=limit, offset=offset
        )
        return [_out(op) for op in operations]

    @get(
        "/{operation_id:uuid}",
        guards=[allow(Role.CASEWORKER, Role.COORDINATOR)],
        opt=READS,
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
        guards=[allow(Role.COORDINATOR)],
        opt=WRITES,
        summary="Add a member",
        description="201 when added, 200 when the user already was a member.",
        status_code=201,
        responses={
            **problem_responses(*AUTHENTICATED_PROBLEMS, 404),
            200: ResponseSpec(data_container=MemberOut, description="Already a member."),
        },
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
        guards=[allow(Role.COORDINATOR)],
        opt=READS,
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

    @delete(
        "/{operation_id:uuid}/members/{user_id:uuid}",
        guards=[allow(Role.COORDINATOR)],
        opt=WRITES,
        summary="Remove a member",
        description=(
            "204 whether or not the user was a member. Their devices stop receiving the "
            "operation's cases (sync sends purge instructions)."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def remove_member(
        self,
        operation_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> None:
        await OperationService(db_session, runtime).remove_member(principal, operation_id, user_id)
