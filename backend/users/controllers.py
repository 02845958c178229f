"""HTTP handlers for ``/api/v1/users``."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.auth.controllers import device_out
from backend.auth.schemas import DeviceOut
from backend.auth.services import DeviceService
from backend.db.models import User
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses
from backend.types import CONTROL_FREE
from backend.users.schemas import Cleared, TokensRevoked, UserCreate, UserOut
from backend.users.services import UserService

__all__ = ["UserController"]


def _out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        created_at=user.created_at,
        disabled=user.disabled_at is not None,
    )


_ADMIN = [allow(Role.ADMIN)]


class UserController(Controller):
    """Accounts: admins create and manage them; coordinators list them to add members."""

    path = "/api/v1/users"
    tags = ["users"]

    @post(
        "/",
        guards=_ADMIN,
        opt=WRITES,
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
        guards=[allow(Role.ADMIN, Role.COORDINATOR)],
        opt=READS,
        summary="List accounts",
        description=(
            "Filter by `role` and by `username` (a part of it, case-insensitive). "
            "Coordinators see only caseworkers and coordinators."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def list_users(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        role: FromQuery[Role | None] = None,
        username: Annotated[
            str | None, QueryParameter(min_length=1, max_length=64, pattern=CONTROL_FREE)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[UserOut]:
        users = await UserService(db_session, runtime).list(
            principal, role=role, username=username, limit=limit, offset=offset
        )
        return [_out(u) for u in users]

    @post(
        "/{user_id:uuid}/disable",
        guards=_ADMIN,
        opt=WRITES,
        status_code=200,
        summary="Disable an account",
        description="Every token of the account is refused at once, and it cannot sign in.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def disable(
        self,
        user_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> UserOut:
        service = UserService(db_session, runtime)
        user = await service.get(principal, user_id, action="user.disable")
        return _out(await service.set_disabled(principal, user, disabled=True))

    @post(
        "/{user_id:uuid}/enable",
        guards=_ADMIN,
        opt=WRITES,
        status_code=200,
        summary="Enable a disabled account",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def enable(
        self,
        user_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> UserOut:
        service = UserService(db_session, runtime)
        user = await service.get(principal, user_id, action="user.enable")
        return _out(await service.set_disabled(principal, user, disabled=False))

    @post(
        "/{user_id:uuid}/revoke-tokens",
        guards=_ADMIN,
        opt=WRITES,
        status_code=200,
        summary="Revoke every token of an account",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def revoke_tokens(
        self,
        user_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> TokensRevoked:
        service = UserService(db_session, runtime)
        user = await service.get(principal, user_id, action="user.revoke_tokens")
        return TokensRevoked(tokens_revoked=await service.revoke_tokens(principal, user))

    @post(
        "/{user_id:uuid}/unlock",
        guards=_ADMIN,
        opt=WRITES,
        status_code=200,
        summary="End an account's sign-in back-off",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def unlock(
        self,
        user_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> Cleared:
        service = UserService(db_session, runtime)
        user = await service.get(principal, user_id, action="user.unlock")
        return Cleared(counters_cleared=await service.unlock(principal, user))

    @get(
        "/{user_id:uuid}/devices",
        guards=[allow(Role.ADMIN, Role.COORDINATOR)],
        opt=READS,
        summary="An account's devices",
        description="Admins: any account. Coordinators: members of an operation they belong to.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def devices(
        self,
        user_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> list[DeviceOut]:
        devices = await DeviceService(db_session, runtime).list_for(principal, user_id)
        return [device_out(d) for d in devices]
