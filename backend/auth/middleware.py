"""Bearer-token authentication for every route not marked ``exclude_from_auth``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from backend.auth.services import AuthService
from backend.db.session import read_transaction
from backend.errors import Unauthenticated
from backend.i18n import N_
from backend.runtime import Runtime

__all__ = ["BearerAuthenticationMiddleware"]


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` to a :class:`Principal`.

    The lookup is a read: it never takes SQLite's write lock.
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(N_("Send an access token as `Authorization: Bearer <token>`."))
        runtime: Runtime = connection.app.state.runtime
        async with read_transaction(runtime.db) as session:
            principal = await AuthService(session, runtime).authenticate(token.strip())
        return AuthenticationResult(user=principal, auth=principal.token_id)
