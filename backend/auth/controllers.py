"""HTTP handlers for sign-in, sign-out, /me, and devices."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody

from backend.access.guards import allow, current_principal
from backend.access.principal import Principal
from backend.access.roles import Role
from backend.auth.schemas import (
    DeviceOut,
    DeviceRevoked,
    Me,
    NetworkCleared,
    NetworkUnlock,
    TokenRequest,
    TokenResponse,
)
from backend.auth.services import AuthService, DeviceService, SignIn
from backend.db.models import Device
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.operations.services import OperationService
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["AuthController", "DeviceController", "device_out", "provide_principal"]

EVERYONE = tuple(Role)


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


def device_out(device: Device) -> DeviceOut:
    """The API form of a device."""
    return DeviceOut(
        id=device.id,
        user_id=device.registered_by,
        registered_at=device.registered_at,
        last_seen_at=device.last_seen_at,
        revoked_at=device.revoked_at,
        label=device.label,
    )


class AuthController(Controller):
    """``/api/v1/auth`` and ``/api/v1/me``."""

    path = "/api/v1"
    tags = ["auth"]

    @post(
        "/auth/token",
        exclude_from_auth=True,
        security=[],
        status_code=200,
        summary="Sign in and get a bearer token",
        description=(
            "Failed attempts back off (429 with `Retry-After`) per account and client network, "
            "per account and device, per network, and per account from places where it never "
            "signed in. A device is bound to the first account that signs in with it: another "
            "account gets `device-bound-elsewhere`. A revoked device gets `device-revoked` "
            "whatever the password."
        ),
        responses=problem_responses(400, 401, 403, 413, 422, 429),
    )
    async def token(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenRequest], runtime: RuntimeDep
    ) -> TokenResponse:
        issued = await SignIn(runtime).login(
            username=data.username,
            password=data.password,
            device_id=data.device_id,
            device_label=data.device_label,
            client_address=client_address(request),
        )
        return TokenResponse(
            access_token=issued.access_token,
            token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
            expires_at=issued.expires_at,
            role=issued.role,
            user_id=issued.user_id,
            device_id=issued.device_id,
        )

    @post(
        "/auth/networks/unlock",
        guards=[allow(Role.ADMIN)],
        status_code=200,
        summary="End a client network's sign-in back-off (an office's shared address)",
        description=(
            "Clears the counter of failed sign-ins from one network across accounts (an IPv4 "
            "address, or an IPv6 address or /64). Accounts' own counters stay: "
            "`POST /api/v1/users/{id}/unlock` clears those. Audited as `auth.unlock_network`, "
            "with a keyed tag of the network, never the address."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def unlock_network(
        self, principal: CurrentPrincipal, data: JSONBody[NetworkUnlock], runtime: RuntimeDep
    ) -> NetworkCleared:
        cleared = await SignIn(runtime).unlock_network(data.address, actor=principal)
        return NetworkCleared(counters_cleared=cleared)

    @post(
        "/auth/logout",
        guards=[allow(*EVERYONE)],
        opt=WRITES,
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
        guards=[allow(*EVERYONE)],
        opt=READS,
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

    @get(
        "/me/devices",
        guards=[allow(*EVERYONE)],
        opt=READS,
        summary="My devices",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def my_devices(
        self, principal: CurrentPrincipal, db_session: DbSession, runtime: RuntimeDep
    ) -> list[DeviceOut]:
        devices = await DeviceService(db_session, runtime).list_for(principal, principal.user_id)
        return [device_out(d) for d in devices]


class DeviceController(Controller):
    """``/api/v1/devices``."""

    path = "/api/v1/devices"
    tags = ["devices"]

    @post(
        "/{device_id:uuid}/revoke",
        guards=[allow(Role.ADMIN, Role.COORDINATOR)],
        opt=WRITES,
        status_code=200,
        summary="Revoke a device",
        description=(
            "An admin may revoke any device; a coordinator, the devices of members of an "
            "operation they belong to. Revokes every token of the device. Every later request "
            "from it, and any sign-in naming it, is answered with the "
            "`urn:lantern:problem:device-revoked` problem, whose `action` is `wipe-local-data`."
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
