"""The one mapping from errors to RFC 9457 problem details.

Every domain error (``backend/errors.py``), every Litestar HTTP error and every
unexpected exception leaves the server as ``application/problem+json`` with a
stable ``type`` (``urn:lantern:problem:<slug>``), a localised ``title`` and,
for bad input, the field path and reason of each value. :func:`problem_for`
builds a problem without a request, for answers that carry several (sync).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

from backend import errors as e
from backend.db.session import defer_side_effects
from backend.i18n import N_, Translator, translator_for
from backend.observability import current_request_id

__all__ = [
    "AUTHENTICATED_PROBLEMS",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "exception_handlers",
    "problem_for",
    "problem_responses",
    "problem_type",
    "reason_without_value",
]

logger = logging.getLogger("lantern.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_type(slug: str) -> str:
    """The stable ``type`` URI of a problem."""
    return f"urn:lantern:problem:{slug}"


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem details object, with Lantern's extension members."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[e.FieldError] | None = None
    retry_after: int | None = None
    action: str | None = None


#: Each domain error's slug and status. A subclass not listed takes its base's.
_DOMAIN: dict[type[e.LanternError], tuple[str, int]] = {
    e.LanternError: ("error", 400),
    e.MalformedBody: ("malformed-body", 400),
    e.Unauthenticated: ("unauthenticated", 401),
    e.InvalidCredentials: ("invalid-credentials", 401),
    e.Forbidden: ("forbidden", 403),
    e.DeviceRevoked: ("device-revoked", 403),
    e.DeviceBoundElsewhere: ("device-bound-elsewhere", 403),
    e.NotFound: ("not-found", 404),
    e.Conflict: ("conflict", 409),
    e.ResyncRequired: ("resync-required", 409),
    e.CaseErased: ("case-erased", 410),
    e.ConsentRequired: ("consent-required", 409),
    e.CursorExpired: ("cursor-expired", 409),
    e.PayloadTooLarge: ("payload-too-large", 413),
    e.ValidationFailed: ("validation", 422),
    e.TooManyAttempts: ("too-many-attempts", 429),
    e.NotReady: ("not-ready", 503),
    e.NotMigrated: ("not-migrated", 503),
    e.Busy: ("busy", 503),
}

# Litestar's own HTTP errors (routing, limits) by status: slug and title.
_HTTP_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad-request", N_("The request is malformed.")),
    401: ("unauthenticated", N_("Sign in to continue.")),
    403: ("forbidden", N_("You are not allowed to do this.")),
    404: ("not-found", N_("Not found.")),
    405: ("method-not-allowed", N_("This method is not allowed here.")),
    406: ("not-acceptable", N_("The requested representation is not available.")),
    409: ("conflict", N_("This conflicts with the current state.")),
    413: ("payload-too-large", N_("The request body is too large.")),
    415: ("unsupported-media-type", N_("The request body's media type is not supported.")),
    429: ("rate-limited", N_("Too many requests. Slow down and try again later.")),
    500: ("internal", N_("Something went wrong on the server.")),
    503: ("unavailable", N_("The service is unavailable.")),
}


def _slug_status(error: e.LanternError) -> tuple[str, int]:
    for cls in type(error).__mro__:
        if cls in _DOMAIN:
            return _DOMAIN[cls]
    return _DOMAIN[e.LanternError]


def _identity(message: str) -> str:
    return message


def problem_for(error: e.LanternError, *, translate: Callable[[str], str] = _identity) -> Problem:
    """The problem details of a domain error; usable outside a request.

    Args:
        error: The error.
        translate: Turns the English title and detail into the reader's language.
    """
    slug, status = _slug_status(error)
    return Problem(
        type=problem_type(slug),
        title=translate(error.title),
        status=status,
        detail=translate(error.detail) if error.detail is not None else None,
        errors=error.errors or None,
        retry_after=getattr(error, "retry_after", None),
        action=getattr(error, "action", None),
    )


def _headers_for(error: e.LanternError) -> dict[str, str]:
    if isinstance(error, e.Unauthenticated | e.InvalidCredentials):
        return {"WWW-Authenticate": 'Bearer realm="lantern"'}
    if isinstance(error, e.TooManyAttempts):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, e.Busy):
        return {"Retry-After": "1"}
    return {}


_EMPTY_BODY = N_("The request body is empty; send a JSON document.")
_AT_PATH = re.compile(r" - at `\$\.?(.*)`$")
_MISSING = re.compile(r"missing required field `([^`]+)`")
#: A rejected value quoted in a message ("Invalid enum value 'x'"): never echoed.
_QUOTED_VALUE = re.compile(r"\s*'.*'", re.DOTALL)


def _location(source: object) -> str:
    """``body``, ``query``, ``path``, ``header`` or ``cookie``, never ``ParamType.QUERY``."""
    value = getattr(source, "value", source)
    return str(value or "body")


def reason_without_value(message: str) -> str:
    """A validation message with any quoted rejected value taken out (problems never echo)."""
    return _QUOTED_VALUE.sub("", message)


def _field_errors(exc: ValidationException) -> list[e.FieldError]:
    """Field paths and reasons from Litestar's (msgspec's) validation messages."""
    found: list[e.FieldError] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        match = _AT_PATH.search(message)
        if match:
            message = message[: match.start()]
        message = reason_without_value(message)
        key = str(item.get("key", ""))
        if key == "data" or key.startswith("data."):
            key = key[5:]
        missing = _MISSING.search(message)
        if missing:
            key = f"{key}.{missing.group(1)}" if key else missing.group(1)
        found.append(
            e.FieldError(field=key or "$", reason=message, location=_location(item.get("source")))
        )
    return found


def _is_missing_body(exc: ValidationException) -> bool:
    # Litestar skips decoding an empty body and then fails to find ``data``.
    extra = exc.extra if isinstance(exc.extra, list) else []
    return any(isinstance(item, dict) and item.get("message") == "'data'" for item in extra)


def _is_malformed_json(exc: ValidationException) -> bool:
    extra = exc.extra if isinstance(exc.extra, list) else []
    return (
        any(
            isinstance(item, dict) and "malformed" in str(item.get("message", "")).lower()
            for item in extra
        )
        or "malformed" in str(exc.detail).lower()
    )


def _respond(
    request: Request[Any, Any, Any], problem: Problem, headers: dict[str, str] | None = None
) -> Response[bytes]:
    gettext: Translator = translator_for(request.headers.get("accept-language"))
    problem.title = gettext(problem.title)
    if problem.detail is not None:
        problem.detail = gettext(problem.detail)
    problem.request_id = current_request_id()
    problem.instance = request.url.path
    response_headers = dict(headers or {})
    response_headers["Content-Language"] = gettext.language
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=response_headers,
    )


def _handle_lantern_error(request: Request[Any, Any, Any], exc: e.LanternError) -> Response[bytes]:
    if exc.side_effects:
        defer_side_effects(exc.side_effects)
    return _respond(request, problem_for(exc), _headers_for(exc))


#: What Litestar says when the client disconnects while its body is read.
_CLIENT_GONE = "client disconnected prematurely"


def _handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, ValidationException):
        if _is_malformed_json(exc):
            return _handle_lantern_error(request, e.MalformedBody())
        if _is_missing_body(exc):
            return _handle_lantern_error(request, e.MalformedBody(_EMPTY_BODY))
        return _handle_lantern_error(request, e.ValidationFailed(errors=_field_errors(exc)))
    if exc.status_code == 400:
        # Litestar raises a plain 400 when the body cannot be decoded at all.
        return _handle_lantern_error(request, e.MalformedBody())
    if exc.status_code == 500 and exc.detail == _CLIENT_GONE:
        # The client closed its connection while sending its body (a phone losing its
        # network mid-push): nothing was applied, nobody reads this answer, no bug.
        logger.warning("client disconnected before its request body arrived")
        problem = Problem(
            type=problem_type("client-disconnected"),
            title=N_("The client closed the connection before its request arrived."),
            status=400,
        )
        return _respond(request, problem)
    slug, title = _HTTP_STATUS.get(exc.status_code, ("http-error", N_("The request failed.")))
    if exc.status_code >= 500:
        logger.error("http error %s", exc.status_code)
    problem = Problem(type=problem_type(slug), title=title, status=exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="lantern"')
    if exc.status_code == 429:
        # Litestar's rate limiter says when the window resets; RFC 9110 wants Retry-After.
        lowered = {k.lower(): v for k, v in headers.items()}
        retry = lowered.get("retry-after") or lowered.get("ratelimit-reset") or "60"
        seconds = int(retry) if retry.isdigit() else 60
        headers["Retry-After"] = str(max(1, seconds))
        problem.retry_after = max(1, seconds)
    return _respond(request, problem, headers)


def _handle_database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if isinstance(exc, DataError):
        # A value the schemas let through but the database refuses (a schema gap):
        # the request was rolled back; answer 422 rather than 500, and log the gap.
        logger.warning(
            "database refused a value", extra={"exception_type": type(exc.orig).__qualname__}
        )
        return _handle_lantern_error(
            request, e.ValidationFailed(N_("A value in the request cannot be stored."))
        )
    if _is_missing_table(exc):
        logger.error("the database is not migrated: run `lantern db upgrade`")
        return _handle_lantern_error(request, e.NotMigrated())
    if _is_storage_full(exc):
        # SQLite's disk or PostgreSQL's: the transaction was rolled back, nothing is
        # half-written; the client may try again once an operator frees space.
        logger.error("the database's disk is full", extra={"exception_type": type(exc).__name__})
        return _handle_lantern_error(request, e.NotReady())
    if "database is locked" in str(getattr(exc, "orig", "")):
        logger.warning("the database stayed locked past the busy timeout")
        return _handle_lantern_error(request, e.Busy())
    return _handle_unexpected(request, exc)


def _is_storage_full(exc: Exception) -> bool:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "53100" or "database or disk is full" in str(orig)


def _is_missing_table(exc: Exception) -> bool:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "42P01" or "no such table" in str(orig)


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # Exception messages can carry user input (and SQL errors their parameters):
    # log the type and the stack only, never str(exc).
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error(
        "unhandled exception", extra={"exception_type": type(exc).__qualname__, "stack": stack}
    )
    problem = Problem(type=problem_type("internal"), title=_HTTP_STATUS[500][1], status=500)
    return _respond(request, problem)


_STATUS_DESCRIPTIONS = {
    200: "Already so: nothing changed.",
    400: "Malformed request: the body is not JSON, is empty or nests too deeply "
    "(`malformed-body`).",
    401: "Missing, invalid, expired or revoked token (`unauthenticated`), or bad credentials.",
    403: "Role not admitted (`forbidden`) or device revoked (`device-revoked`: wipe local data).",
    404: "No such object among those the caller may see (`not-found`).",
    409: "Conflicts with the current state (`conflict`: `errors` names the field); no consent "
    "for the purpose (`consent-required`); a sync cursor from before a server "
    "restore (`resync-required`: push again, then pull from the start) or older than the "
    "change log's horizon (`cursor-expired`: pull from the start, keep unpushed changes).",
    410: "The case was erased by a coordinator (`case-erased`): drop it, send nothing more.",
    413: "Request body too large (`payload-too-large`).",
    422: "Invalid values; `errors` lists each field, where it was (`body`, `query`, `path`) "
    "and why (`validation`); a control character in the path or query is one too.",
    429: "Rate limited or backing off after failed sign-ins; see `Retry-After`.",
    503: "Not ready (`not-ready`), the database is not migrated (`not-migrated`), or "
    "it stayed busy (`busy`, with `Retry-After`).",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems a route can answer with (400 always included)."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_STATUS_DESCRIPTIONS[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in sorted({400, *statuses})
    }


#: Problems any authenticated route may answer with.
AUTHENTICATED_PROBLEMS = (400, 401, 403, 413, 422, 429, 503)


exception_handlers: dict[type[Exception], Callable[..., Response[bytes]]] = {
    e.LanternError: _handle_lantern_error,
    HTTPException: _handle_http_exception,
    DataError: _handle_database_error,
    OperationalError: _handle_database_error,
    ProgrammingError: _handle_database_error,
    Exception: _handle_unexpected,
}
