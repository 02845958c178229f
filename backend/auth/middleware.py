"""Bearer-token authentication for every route not marked ``exclude_from_auth``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send

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
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(N_("Send an access token as `Authorization: Bearer <token>`."))
        runtime: Runtime = connection.app.state.runtime
        shared = shared_read_session()
        if shared is not None:
            principal = await AuthService(shared, runtime).authenticate(token.strip())
        else:
            async with read_transaction(runtime.db) as session:
                principal = await AuthService(session, runtime).authenticate(token.strip())
        return AuthenticationResult(user=principal, auth=principal.token_id)
