"""HTTP glue in one corner: the request class, input screening and security headers.

Nothing here knows the domain. It makes sure no input reaches a handler in a
shape that would end as a 500 (control characters in a path or a parameter,
an empty or absurdly nested body), and that every answer carries the headers
a browser needs to keep it out of other sites' reach.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from litestar import Litestar, Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import FieldError, MalformedBody, ValidationFailed
from backend.i18n import N_

__all__ = [
    "MAX_JSON_DEPTH",
    "LanternRequest",
    "RefuseControlCharacters",
    "SecurityHeaders",
    "has_control_characters",
    "repair_options_handlers",
]

#: No request of ours nests deeper than this; deeper bodies are refused (400).
MAX_JSON_DEPTH = 32


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` containers deep (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _is_json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/<something>+json``, any parameters."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class LanternRequest(Request[Any, Any, Any]):
    """A request whose JSON body is refused, as a problem, when empty, too deep or not JSON."""

    async def json(self) -> Any:
        """The decoded body.

        Raises:
            HTTPException: 415, the body says it is something other than JSON.
            MalformedBody: the body is empty, not JSON, or nests deeper than allowed.
        """
        content_type = self.headers.get("content-type")
        if content_type is not None and not _is_json_media_type(content_type):
            raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        body = await self.body()
        if not body.strip():  # whitespace only: Litestar passes it on to be decoded
            raise MalformedBody(N_("The request body is empty; send a JSON document."))
        try:
            value = await super().json()
        except RecursionError:
            raise MalformedBody(N_("The request body nests too deeply.")) from None
        except UnicodeDecodeError:  # bytes that are not UTF-8: not JSON at all
            raise MalformedBody() from None
        # Counting brackets is cheap and bounds the depth, so most bodies skip the walk.
        if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth_exceeds(
            value, MAX_JSON_DEPTH
        ):
            raise MalformedBody(N_("The request body nests too deeply."))
        return value


def has_control_characters(raw: bytes) -> bool:
    """Whether percent-decoded ``raw`` holds a C0 control character or DEL."""
    decoded = unquote_to_bytes(raw) if b"%" in raw else raw
    return any(byte < 0x20 or byte == 0x7F for byte in decoded)


class RefuseControlCharacters:
    """Route middleware: a control character in the path or the query is a 422 problem.

    PostgreSQL cannot store NUL at all, and no identifier or parameter of ours
    holds a control character; refusing them here means no handler sees one.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
            problems = []
            if has_control_characters(raw_path) or has_control_characters(
                scope.get("path", "").encode("utf-8", "replace")
            ):
                problems.append(FieldError(field="$", reason=_CONTROL, location="path"))
            if has_control_characters(scope.get("query_string", b"")):
                problems.append(FieldError(field="$", reason=_CONTROL, location="query"))
            if problems:
                raise ValidationFailed(errors=problems)
        await self.app(scope, receive, send)


_CONTROL = "holds a control character (such as NUL), which no value here may contain"


def repair_options_handlers(app: Litestar) -> None:
    """Make every automatic ``OPTIONS`` answer list all of its path's methods.

    Litestar builds a path's ``OPTIONS`` handler when the path's first handler
    is registered; the handler reads the methods of that first route object, so
    a path served by GET and POST answered ``Allow: OPTIONS, POST``. Point each
    automatic handler at the route that now serves the path.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        handler, _ = route.route_handler_map["OPTIONS"]
        for cell in getattr(handler.fn, "__closure__", None) or ():
            if isinstance(cell.cell_contents, HTTPRoute):
                cell.cell_contents = route


_API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The interactive docs (development only by default) load their scripts from a CDN.
_DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://cdn.jsdelivr.net; "
    "connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'"
)
# The console's pages: scripts, styles and images from Lantern itself, nothing inline,
# forms posting only back to Lantern.
_CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


class SecurityHeaders:
    """ASGI wrapper: sets security headers on every answer (problems and 404s included)."""

    def __init__(
        self, app: ASGIApp, *, docs_path: str, hsts: bool, console_path: str = "/console"
    ) -> None:
        self.app = app
        self.docs_path = docs_path
        self.console_path = console_path
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = _DOCS_CSP if path.startswith(self.docs_path) else _API_CSP
        if path == self.console_path or path.startswith(f"{self.console_path}/"):
            csp = _CONSOLE_CSP
        extra = [*_COMMON, (b"content-security-policy", csp.encode())]
        if self.hsts:
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
