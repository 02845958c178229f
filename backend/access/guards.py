"""Who may call what: one guard per route, naming the roles it admits.

A denial is answered with a 403 problem and audited (the audit entry rides on
the error and is written in a transaction of its own: the request did nothing).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from backend.access.principal import Principal
from backend.access.roles import Role
from backend.audit.services import AuditEvent, audit_side_effect
from backend.errors import Forbidden, Unauthenticated
from backend.runtime import Runtime

__all__ = ["allow", "allowed_roles", "current_principal"]

_ROLES_ATTR = "lantern_allowed_roles"


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated principal of a connection (set by the auth middleware).

    Raises:
        Unauthenticated: the route was reached without authentication.
    """
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthenticated()
    return user


def allow(*roles: Role) -> Guard:
    """A guard admitting only ``roles``.

    ``OPTIONS`` is answered by Litestar itself with the route's ``Allow``
    header, before authentication: it reveals nothing and is let through.
    """
    admitted = frozenset(roles)

    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return
        principal = current_principal(connection)
        if principal.role in admitted:
            return
        runtime: Runtime = connection.app.state.runtime
        route = f"{connection.scope.get('method', '')} {connection.scope.get('path', '')}"
        event = AuditEvent(
            action="authz.denied",
            outcome="denied",
            actor_id=principal.user_id,
            actor_role=principal.role,
            device_id=principal.device_id,
            object_type="route",
            object_id=route[:64],
            detail={"reason": f"role {principal.role} not admitted"},
        )
        raise Forbidden(side_effects=[audit_side_effect(event, runtime.keyring)])

    setattr(guard, _ROLES_ATTR, admitted)
    guard.__name__ = f"allow_{'_'.join(sorted(admitted))}"
    return guard


def allowed_roles(handler: BaseRouteHandler) -> frozenset[Role] | None:
    """The roles a route admits, or ``None`` if it has no role guard (public routes)."""
    for guard in handler.resolve_guards():
        roles = getattr(guard, _ROLES_ATTR, None)
        if roles is not None:
            return frozenset(roles)
    return None
