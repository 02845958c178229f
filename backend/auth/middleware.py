"""Bearer-token authentication for every route not marked ``exclude_from_auth``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from backend.auth.services import AuthService
from backend.db.session import run_side_effects
from backend.errors import LanternError, Unauthenticated
from backend.i18n import N_
from backend.runtime import Runtime

__all__ = ["BearerAuthenticationMiddleware"]


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` to a :class:`Principal`."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(N_("Send an access token as `Authorization: Bearer <token>`."))
        runtime: Runtime = connection.app.state.runtime
        try:
            async with runtime.db.read_session() as session, session.begin():
                principal = await AuthService(session, runtime).authenticate(token.strip())
        except LanternError as exc:
            if exc.side_effects:
                await run_side_effects(runtime.db, exc.side_effects)
            raise
        return AuthenticationResult(user=principal, auth=principal.token_id)
