"""Request ids, structured JSON logs and the access log.

Logs are for operators. They must never hold a password, a token or anything a
person told a caseworker, so the formatter writes an allow-list of fields and
nothing else: whatever else a caller passes in ``extra`` is dropped.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.metrics import PUSH_ROUTE, observe_request

__all__ = ["configure_logging", "current_request_id", "route_of", "with_request_context"]

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lantern_request_id", default=None
)
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")

#: The only ``extra`` fields that reach a log line.
SAFE_FIELDS = frozenset(
    {
        "method",
        "path",
        "status",
        "duration_ms",
        "user_id",
        "role",
        "exception_type",
        "stack",
        "event",
        "count",
        "revision",
        "workers",
        "host",
        "port",
    }
)


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    return _request_id.get()


#: Loggers whose arguments carry data (SQL parameters, request bodies): only
#: their message template is written, never the values put into it.
_TEMPLATE_ONLY = ("aiosqlite", "sqlalchemy", "asyncpg", "httpx", "httpcore")


def _message(record: logging.LogRecord) -> str:
    if record.name.startswith(_TEMPLATE_ONLY):
        return str(record.msg)
    return _BEARER.sub("Bearer [redacted]", record.getMessage())


class JSONFormatter(logging.Formatter):
    """One JSON object per line, with allow-listed fields only."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": _message(record),
        }
        request_id = _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for name in SAFE_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        return msgspec.json.encode(entry).decode()


def configure_logging(level: str) -> None:
    """Send every log record to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "litestar"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    for name in _TEMPLATE_ONLY:
        logging.getLogger(name).setLevel(logging.WARNING)
    # Our own access log replaces uvicorn's, which would print query strings.
    logging.getLogger("uvicorn.access").disabled = True


_access = logging.getLogger("lantern.access")
#: What the access log writes for a request no route matched (its path is not written).
UNMATCHED = "(unmatched)"


def route_of(scope: Scope) -> str:
    """The route template a request matched, never its raw path.

    A path carries identifiers (an investigator's looked-up address, a case
    id); the template names only the route
    (``/api/v1/investigations/{investigation_id}/addresses/{chain}/{address}``).
    Routing sets it on the scope, which every layer shares.
    """
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else UNMATCHED


async def with_request_context(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run ``app`` with a request id (a well-formed ``X-Request-ID`` or a new one).

    The id is echoed in the response, set for logs and problems, and one access
    line is logged. This wraps the whole application, including the error
    handling of routing (404, 405) and authentication (401).
    """
    if scope["type"] != ScopeType.HTTP:
        await app(scope, receive, send)
        return
    incoming = None
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
            break
    request_id = (
        incoming if incoming and _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    )
    token = _request_id.set(request_id)
    started = time.perf_counter()
    status = 500
    push_body: list[bytes] = []

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
            headers.append((b"x-request-id", request_id.encode()))
            message["headers"] = headers
        elif message["type"] == "http.response.body" and scope.get("path_template") == PUSH_ROUTE:
            push_body.append(message.get("body", b""))  # outcomes for the sync metrics
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        elapsed = time.perf_counter() - started
        _access.info(
            "request",
            extra={
                "method": scope.get("method"),
                "path": route_of(scope),
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        observe_request(scope, status, elapsed, b"".join(push_body) if push_body else None)
        _request_id.reset(token)
