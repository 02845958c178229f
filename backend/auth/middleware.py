"""Bearer-token authentication for every route not marked ``exclude_from_auth``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send

from backend.access.principal import Principal
from backend.auth.limits import RateLimits, address_of
from backend.auth.services import AuthService
from backend.db.session import read_transaction, shared_read_session, shared_read_transaction
from backend.errors import Unauthenticated
from backend.i18n import N_
from backend.runtime import Runtime

__all__ = ["BearerAuthenticationMiddleware"]


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` to a :class:`Principal`.

    The lookup is a read: it never takes SQLite's write lock. For a route
    declared ``READS`` the lookup and the handler share one read transaction,
    opened here around the request.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        reads = (
            scope["type"] == ScopeType.HTTP
            and handler is not None
            and handler.opt.get("transaction") == "read"
        )
        if not reads:
            await super().__call__(scope, receive, send)
            return
        runtime: Runtime = scope["litestar_app"].state.runtime
        async with shared_read_transaction(runtime.db):
            await super().__call__(scope, receive, send)

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        runtime: Runtime = connection.app.state.runtime
        limits: RateLimits | None = connection.app.state.get("rate_limits")
        try:
            principal = await self._authenticate(runtime, connection.headers.get("authorization"))
        except Unauthenticated:
            # Not signed in after all: the request counts against its network (a request
            # with no header at all was counted there already, by AnonymousRateLimit).
            if limits is not None and "authorization" in connection.headers:
                limits.anonymous(address_of(connection.scope))
            raise
        if limits is not None:
            limits.authenticated(principal)
        return AuthenticationResult(user=principal, auth=principal.token_id)

    @staticmethod
    async def _authenticate(runtime: Runtime, header: str | None) -> Principal:
        scheme, _, token = (header or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated(N_("Send an access token as `Authorization: Bearer <token>`."))
        shared = shared_read_session()
        if shared is not None:
            return await AuthService(shared, runtime).authenticate(token)
        async with read_transaction(runtime.db) as session:
            return await AuthService(session, runtime).authenticate(token)
