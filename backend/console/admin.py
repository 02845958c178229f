"""Admins' pages: users (filter, create, disable, enable, unlock, revoke tokens), devices, audit.

A coordinator reaches the user list and the devices pages too, exactly as far
as the API lets them: the services decide whom they see.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from backend.access.guards import allow
from backend.access.roles import Role
from backend.audit.services import AuditLog
from backend.auth.services import DeviceService
from backend.console.glue import CONSOLE_PATH, language_of, page, redirect
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.errors import FieldError, ValidationFailed
from backend.i18n import N_
from backend.users.services import UserService

__all__ = ["HANDLERS"]

ADMIN = allow(Role.ADMIN)
ADMIN_OR_COORDINATOR = allow(Role.ADMIN, Role.COORDINATOR)
PAGE_SIZE = 50
#: Console action -> the API route it mirrors.
ACTIONS = {
    "disable": "/api/v1/users/{user_id:uuid}/disable",
    "enable": "/api/v1/users/{user_id:uuid}/enable",
    "unlock": "/api/v1/users/{user_id:uuid}/unlock",
    "revoke-tokens": "/api/v1/users/{user_id:uuid}/revoke-tokens",
}


@get(
    "/admin/users",
    guards=[ADMIN_OR_COORDINATOR],
    opt={**READS, "api": ("GET", "/api/v1/users")},
    name="console.users",
)
async def users(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Accounts, filtered by role and by part of the username."""
    role_value = request.query_params.get("role") or None
    if role_value is not None and role_value not in {r.value for r in Role}:
        raise ValidationFailed(
            errors=[FieldError(field="role", reason="one of the four roles", location="query")]
        )
    part = (request.query_params.get("q") or "").strip()[:64] or None
    found = await UserService(db_session, runtime).list(
        principal,
        role=Role(role_value) if role_value else None,
        username=part,
        limit=PAGE_SIZE,
        offset=0,
    )
    return page(
        request,
        "users.html",
        users=found,
        roles=[r.value for r in Role],
        role=role_value or "",
        q=part or "",
        done=request.query_params.get("done", ""),
    )


@post(
    "/admin/users",
    guards=[ADMIN],
    opt={**WRITES, "api": ("POST", "/api/v1/users")},
    name="console.create_user",
    status_code=303,
)
async def create_user(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Create an account (the password policy of the API applies)."""
    form = await request.form()
    role = str(form.get("role") or "")
    if role not in {r.value for r in Role}:
        raise ValidationFailed(
            errors=[FieldError(field="role", reason="one of the four roles", location="body")]
        )
    await UserService(db_session, runtime).create(
        actor=principal,
        username=str(form.get("username") or "")[:64],
        password=str(form.get("password") or "")[:1024],
        role=Role(role),
    )
    return redirect(f"{CONSOLE_PATH}/admin/users?done=create")


@post(
    "/admin/users/{user_id:uuid}/{action:str}",
    guards=[ADMIN],
    opt={**WRITES, "api": ("POST", "/api/v1/users/{user_id:uuid}/disable")},
    name="console.user_action",
    status_code=303,
)
async def user_action(
    user_id: FromPath[uuid.UUID],
    action: FromPath[str],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Disable, enable, unlock, or revoke every token of an account."""
    if action not in ACTIONS:
        raise ValidationFailed(
            errors=[FieldError(field="action", reason=", ".join(ACTIONS), location="path")]
        )
    service = UserService(db_session, runtime)
    user = await service.get(principal, user_id, action=f"user.{action}")
    if action in {"disable", "enable"}:
        await service.set_disabled(principal, user, disabled=action == "disable")
    elif action == "unlock":
        await service.unlock(principal, user)
    else:
        await service.revoke_tokens(principal, user)
    return redirect(f"{CONSOLE_PATH}/admin/users?done={action}")


@get(
    "/admin/users/{user_id:uuid}/devices",
    guards=[ADMIN_OR_COORDINATOR],
    opt={**READS, "api": ("GET", "/api/v1/users/{user_id:uuid}/devices")},
    name="console.user_devices",
)
async def user_devices(
    request: Request[Any, Any, Any],
    user_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """An account's phones and browsers, with their labels and last use; revocable."""
    devices = await DeviceService(db_session, runtime).list_for(principal, user_id)
    translate = runtime.catalogs.translator(language_of(request, runtime))
    return page(
        request,
        "devices.html",
        heading=translate(N_("Devices of this account")),
        devices=devices,
        may_revoke=True,
        owner=str(user_id),
    )


@post(
    "/devices/{device_id:uuid}/revoke",
    guards=[ADMIN_OR_COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/devices/{device_id:uuid}/revoke")},
    name="console.revoke_device",
    status_code=303,
)
async def revoke_device(
    device_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Revoke a device: every token of it ends, the phone wipes its data on its next request."""
    device, _ = await DeviceService(db_session, runtime).revoke(principal, device_id)
    return redirect(f"{CONSOLE_PATH}/admin/users/{device.registered_by}/devices")


@get(
    "/admin/audit",
    guards=[ADMIN],
    opt={**READS, "api": ("GET", "/api/v1/audit/verify")},
    name="console.audit",
)
async def audit(
    request: Request[Any, Any, Any], db_session: DbSession, runtime: RuntimeDep
) -> Template:
    """The audit chain checked from its first entry."""
    result = await AuditLog(db_session, runtime.keyring).verify()
    return page(request, "audit.html", result=result)


HANDLERS = [users, create_user, user_action, user_devices, revoke_device, audit]
