"""HTTP handlers for sign-in, sign-out, /me and device revocation."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from backend.auth.guards import allow, current_principal
from backend.auth.principal import Principal
from backend.auth.schemas import DeviceRevoked, Me, TokenRequest, TokenResponse
from backend.auth.services import AuthService, DeviceService
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.errors import AUTHENTICATED_PROBLEMS, problem_responses
from backend.operations.services import OperationService

__all__ = ["AuthController", "DeviceController"]


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address as the server sees it.

    Behind a proxy, `lantern serve` runs uvicorn with ``proxy_headers`` (when
    ``LANTERN_TRUST_FORWARDED_FOR`` is set), which takes the address from
    ``X-Forwarded-For`` only as written by the trusted proxy. Reading the
    header here instead would trust its leftmost entry, which the client
    writes, and let a guesser rotate it past the per-address back-off.
    """
    return request.client.host if request.client else "unknown"


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """Litestar dependency: the authenticated caller."""
    return current_principal(request)


class AuthController(Controller):
    """``/api/v1/auth`` and ``/api/v1/me``."""

    path = "/api/v1"
    tags = ["auth"]

    @post(
        "/auth/token",
        exclude_from_auth=True,
        status_code=200,
        summary="Sign in and get a bearer token",
        description="Failed attempts back off per account and per client address (429).",
        responses=problem_responses(400, 401, 403, 413, 422, 429),
    )
    async def token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> TokenResponse:
        issued = await AuthService(db_session, runtime).login(
            username=data.username,
            password=data.password,
            device_id=data.device_id,
            client_address=client_address(request),
        )
        return TokenResponse(
            access_token=issued.access_token,
            token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
            expires_at=issued.expires_at,
            role=issued.role,  # type: ignore[arg-type]
            user_id=issued.user_id,
            device_id=issued.device_id,
        )

    @post(
        "/auth/logout",
        guards=[allow("caseworker", "coordinator", "investigator", "admin")],
        status_code=204,
        summary="Revoke the token of this request",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def logout(
        self, principal: CurrentPrincipal, db_session: DbSession, runtime: RuntimeDep
    ) -> None:
        await AuthService(db_session, runtime).logout(principal)

    @get(
        "/me",
        guards=[allow("caseworker", "coordinator", "investigator", "admin")],
        summary="The signed-in user",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def me(
        self, principal: CurrentPrincipal, db_session: DbSession, runtime: RuntimeDep
    ) -> Me:
        operations = await OperationService(db_session, runtime).operation_ids_of(principal)
        return Me(
            id=principal.user_id,
            username=principal.username,
            role=principal.role,
            device_id=principal.device_id,
            operations=operations,
        )


class DeviceController(Controller):
    """``/api/v1/devices``."""

    path = "/api/v1/devices"
    tags = ["devices"]

    @post(
        "/{device_id:uuid}/revoke",
        guards=[allow("admin", "coordinator")],
        status_code=200,
        summary="Revoke a device",
        description=(
            "Revokes every token of the device. Every later request from it, and any sign-in "
            "naming it, is answered with the `urn:lantern:problem:device-revoked` problem, "
            "whose `action` is `wipe-local-data`."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def revoke(
        self,
        device_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> DeviceRevoked:
        device, count = await DeviceService(db_session, runtime).revoke(principal, device_id)
        assert device.revoked_at is not None
        return DeviceRevoked(
            device_id=device.id, revoked_at=device.revoked_at, tokens_revoked=count
        )
