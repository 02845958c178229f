"""HTTP handlers for ``/api/v1/users``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from backend.auth.guards import allow
from backend.auth.principal import Role
from backend.db.models import User
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.errors import AUTHENTICATED_PROBLEMS, problem_responses
from backend.users.schemas import UserCreate, UserOut
from backend.users.services import UserService

__all__ = ["UserController"]


def _out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=user.role,  # type: ignore[arg-type]
        created_at=user.created_at,
        disabled=user.disabled_at is not None,
    )


class UserController(Controller):
    """Accounts: admins create them; coordinators list them to add members to operations."""

    path = "/api/v1/users"
    tags = ["users"]

    @post(
        "/",
        guards=[allow("admin")],
        summary="Create an account",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 409),
    )
    async def create(
        self,
        data: JSONBody[UserCreate],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> UserOut:
        user = await UserService(db_session, runtime).create(
            actor=principal, username=data.username, password=data.password, role=data.role
        )
        return _out(user)

    @get(
        "/",
        guards=[allow("admin", "coordinator")],
        summary="List accounts",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def list_users(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        role: FromQuery[Role | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[UserOut]:
        users = await UserService(db_session, runtime).list(
            principal, role=role, limit=limit, offset=offset
        )
        return [_out(u) for u in users]
