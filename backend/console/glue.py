"""Framework glue of the console: the session middleware, error pages and page rendering.

Every console route except the sign-in page and the static files runs behind
:class:`ConsoleSession`: it opens the session cookie, resolves its token with
the API's own :class:`~backend.auth.services.AuthService` (so a disabled
account or a revoked browser is refused on the next request), puts the
principal where the API's guards look for it, checks the CSRF token of every
state-changing form, and refreshes the idle stamp of the cookie.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, audit_side_effect
from backend.auth.services import AuthService
from backend.console.services import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    csrf_matches,
    csrf_token,
    open_session,
    seal_session,
)
from backend.db.session import defer_side_effects, read_transaction, shared_read_transaction
from backend.errors import DeviceRevoked, Forbidden, LanternError, SideEffect, Unauthenticated
from backend.i18n import N_
from backend.problems import problem_for
from backend.runtime import Runtime

__all__ = [
    "CONSOLE_PATH",
    "ConsoleSession",
    "Formats",
    "console_error",
    "language_of",
    "page",
    "redirect",
    "session_cookie",
    "template_config",
]

CONSOLE_PATH = "/console"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
_TOKEN_KEY = "lantern_console_token"  # noqa: S105 - a scope key, not a secret
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def template_config() -> TemplateConfig[Any]:
    """Jinja2 through Litestar's templating, autoescaped, templates of this package."""
    from litestar.plugins.jinja import JinjaTemplateEngine

    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.mode != "development"


def session_cookie(runtime: Runtime, value: str | None) -> Cookie:
    """The session cookie carrying ``value`` (``None``: the cookie is deleted)."""
    return Cookie(
        key=SESSION_COOKIE,
        value=value or "",
        path=CONSOLE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(runtime),
        max_age=runtime.settings.console_idle_seconds if value else 0,
    )


def console_token(request: Request[Any, Any, Any]) -> str | None:
    """The bearer token behind this request's session (set by :class:`ConsoleSession`)."""
    value = cast(dict[str, Any], request.scope).get(_TOKEN_KEY)
    return value if isinstance(value, str) else None


def _cookies(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name.lower() != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            key, _, val = part.strip().partition("=")
            if key and key not in found:
                found[key] = val
    return found


class ConsoleSession:
    """Route middleware of the console: session, principal, CSRF, idle refresh."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if scope["type"] != ScopeType.HTTP or (handler is not None and handler.opt.get("public")):
            await self.app(scope, receive, send)
            return
        runtime: Runtime = scope["litestar_app"].state.runtime
        token = open_session(runtime, _cookies(scope).get(SESSION_COOKIE))
        if token is None:
            raise Unauthenticated(N_("Sign in to use the console."))
        reads = handler is not None and handler.opt.get("transaction") == "read"
        if reads:
            async with shared_read_transaction(runtime.db) as session:
                principal = await AuthService(session, runtime).authenticate(token)
                await self._serve(runtime, principal, token, scope, receive, send)
            return
        async with read_transaction(runtime.db) as session:
            principal = await AuthService(session, runtime).authenticate(token)
        await self._serve(runtime, principal, token, scope, receive, send)

    async def _serve(
        self,
        runtime: Runtime,
        principal: Principal,
        token: str,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        raw = cast(dict[str, Any], scope)
        raw["user"] = principal
        raw["auth"] = principal.token_id
        raw[_TOKEN_KEY] = token
        if scope.get("method", "GET") not in _SAFE:
            form = await Request[Any, Any, Any](scope, receive).form()
            if not csrf_matches(csrf_token(runtime, token), form.get("csrf")):
                event = AuditEvent(
                    action="console.csrf_refused",
                    outcome="denied",
                    actor_id=principal.user_id,
                    actor_role=principal.role,
                    device_id=principal.device_id,
                    object_type="route",
                    object_id=f"{scope.get('method', '')} {scope.get('path', '')}"[:64],
                )
                raise _CsrfRefused(side_effects=[audit_side_effect(event, runtime.keyring)])
        refreshed = session_cookie(runtime, seal_session(runtime, token)).to_header(header="")

        async def send_refreshed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                sets_own = any(
                    name.lower() == b"set-cookie" and value.startswith(SESSION_COOKIE.encode())
                    for name, value in headers
                )
                if not sets_own:
                    headers.append((b"set-cookie", refreshed.strip().encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_refreshed)


class _CsrfRefused(Forbidden):
    """A state-changing form without this session's CSRF token."""

    def __init__(self, *, side_effects: list[SideEffect]) -> None:
        super().__init__(
            N_("This form has expired or did not come from the console; try again."),
            side_effects=side_effects,
        )


def language_of(request: Request[Any, Any, Any], runtime: Runtime) -> str:
    """The language chosen in the console, else the browser's best shipped language."""
    chosen = runtime.catalogs.match(request.cookies.get(LANGUAGE_COOKIE, "")[:35])
    return chosen or runtime.catalogs.negotiate(request.headers.get("accept-language"))


class Formats:
    """Dates and numbers in the page's language (Babel)."""

    def __init__(self, language: str) -> None:
        try:
            self.locale = Locale.parse(language.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse("en")

    def when(self, value: dt.datetime | None) -> str:
        """A date and time, medium length, in UTC."""
        if value is None:
            return "-"
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return format_datetime(value, format="medium", tzinfo=dt.UTC, locale=self.locale)

    def number(self, value: float | int | Decimal | str) -> str:
        """A number with the language's grouping and decimal signs."""
        return format_decimal(Decimal(str(value)), locale=self.locale)


def plain(value: Any) -> str:
    """A record's value as readable text: lists joined, mappings as ``key: value``."""
    if isinstance(value, dict):
        return "; ".join(f"{key.replace('_', ' ')}: {plain(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(plain(item) for item in value)
    if value is None:
        return "-"
    return str(value)


def local(value: Any) -> str:
    """The text of a localised text (``{"text": …, "status": …}``), nested or not."""
    while isinstance(value, dict) and "text" in value:
        value = value["text"]
    return plain(value)


def page(
    request: Request[Any, Any, Any], name: str, *, status: int = 200, **context: Any
) -> Template:
    """A console page: ``name`` rendered with the session, language and formatters."""
    runtime: Runtime = request.app.state.runtime
    language = language_of(request, runtime)
    translate: Callable[[str], str] = runtime.catalogs.translator(language)
    token = console_token(request)
    user = request.scope.get("user")
    base = {
        "_": translate,
        "lang": language,
        "languages": runtime.catalogs.languages,
        "principal": user if isinstance(user, Principal) else None,
        "csrf": csrf_token(runtime, token) if token else "",
        "fmt": Formats(language),
        "plain": plain,
        "local": local,
        # Where the language switch returns to (autoescaped in the form; checked there).
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    base.update(context)
    return Template(template_name=name, context=base, status_code=status)


def redirect(path: str) -> Redirect:
    """A 303 to a console page (after a form, the browser GETs the result)."""
    return Redirect(path=path, status_code=303)


def console_error(request: Request[Any, Any, Any], exc: LanternError) -> Response[Any]:
    """Errors in the console: sign in again, or an error page; audit effects still run."""
    runtime: Runtime = request.app.state.runtime
    if exc.side_effects:
        defer_side_effects(exc.side_effects)
    if isinstance(exc, Unauthenticated | DeviceRevoked):
        reason = "revoked" if isinstance(exc, DeviceRevoked) else "signin"
        response: Response[Any] = Redirect(
            path=f"{CONSOLE_PATH}/login?reason={reason}", status_code=303
        )
        response.set_cookie(session_cookie(runtime, None))
        return response
    language = language_of(request, runtime)
    problem = problem_for(exc, translate=runtime.catalogs.translator(language))
    return page(
        request,
        "error.html",
        status=problem.status,
        title=problem.title,
        detail=problem.detail,
        errors=problem.errors or [],
    )
