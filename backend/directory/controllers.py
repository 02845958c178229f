"""HTTP handlers for ``/api/v1/services``: the providers directory (coordinators)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.directory.schemas import ProviderCreate, ProviderOut, ProviderUpdate, ServiceKind
from backend.directory.services import ProviderService, provider_out
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["DirectoryController"]


class DirectoryController(Controller):
    """Service providers per country and kind."""

    path = "/api/v1/services"
    tags = ["services"]
    guards = [allow(Role.COORDINATOR)]

    @get(
        "/",
        opt=READS,
        summary="Find providers by country and kind",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def search(
        self,
        db_session: DbSession,
        runtime: RuntimeDep,
        country: Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z]{2}$")] = None,
        kind: FromQuery[ServiceKind | None] = None,
        active: FromQuery[bool | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[ProviderOut]:
        return await ProviderService(db_session, runtime).search(
            country=country, kind=kind, active=active, limit=limit, offset=offset
        )

    @post(
        "/",
        opt=WRITES,
        summary="Add a provider",
        description="Contact details are the provider's own, never a victim's. Audited.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def create(
        self,
        data: JSONBody[ProviderCreate],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ProviderOut:
        return await ProviderService(db_session, runtime).create(principal, data)

    @get(
        "/{provider_id:uuid}",
        opt=READS,
        summary="One provider",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def get_one(
        self, provider_id: FromPath[uuid.UUID], db_session: DbSession, runtime: RuntimeDep
    ) -> ProviderOut:
        return provider_out(await ProviderService(db_session, runtime).get(provider_id))

    @patch(
        "/{provider_id:uuid}",
        opt=WRITES,
        summary="Change a provider (deactivate it with active: false)",
        description="Only the fields sent change. Audited.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def update(
        self,
        provider_id: FromPath[uuid.UUID],
        data: JSONBody[ProviderUpdate],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ProviderOut:
        return await ProviderService(db_session, runtime).update(principal, provider_id, data)
