"""Who may call what: one guard per route, naming the roles it admits.

A denial is audited (in its own transaction: the request did nothing) and
answered with a 403 problem.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from backend.audit.services import AuditEvent, audit_side_effect
from backend.auth.principal import Principal, Role
from backend.db.session import run_side_effects
from backend.errors import Forbidden
from backend.runtime import Runtime

__all__ = ["allow", "allowed_roles", "current_principal"]

_ROLES_ATTR = "lantern_allowed_roles"


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated principal of a connection (set by the auth middleware)."""
    user = connection.scope.get("user")
    assert isinstance(user, Principal), "route is not behind authentication"
    return user


async def record_denial(
    connection: ASGIConnection[Any, Any, Any, Any], principal: Principal, reason: str
) -> None:
    """Audit an authorisation denial in a transaction of its own."""
    runtime: Runtime = connection.app.state.runtime
    event = AuditEvent(
        action="authz.denied",
        outcome="denied",
        actor_id=principal.user_id,
        actor_role=principal.role,
        device_id=principal.device_id,
        object_type="route",
        object_id=f"{connection.scope.get('method', '')} {connection.scope.get('path', '')}"[:64],
        detail={"reason": reason},
    )
    await run_side_effects(runtime.db, [audit_side_effect(event, runtime.keyring)])


def allow(*roles: Role) -> Guard:
    """A guard admitting only ``roles``."""
    admitted = frozenset(roles)

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        principal = current_principal(connection)
        if principal.role not in admitted:
            await record_denial(connection, principal, f"role {principal.role} not admitted")
            raise Forbidden()

    setattr(guard, _ROLES_ATTR, admitted)
    guard.__name__ = f"allow_{'_'.join(sorted(admitted))}"
    return guard


def allowed_roles(handler: BaseRouteHandler) -> frozenset[str] | None:
    """The roles a route admits, or ``None`` if it has no role guard (public routes)."""
    for guard in handler.resolve_guards():
        roles = getattr(guard, _ROLES_ATTR, None)
        if roles is not None:
            return frozenset(roles)
    return None
