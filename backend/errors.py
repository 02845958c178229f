"""Domain errors and their one mapping to RFC 9457 problem details.

Services raise the errors below; they know nothing of HTTP. The handlers at the
bottom turn every exception (ours, Litestar's, or an unexpected one) into an
``application/problem+json`` response with a stable ``type``, a localised
``title`` and, for bad input, a list of field errors.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import DataError

from backend.i18n import N_, translator_for
from backend.observability import current_request_id

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "AUTHENTICATED_PROBLEMS",
    "Conflict",
    "DeviceRevoked",
    "FieldError",
    "Forbidden",
    "InvalidCredentials",
    "LanternError",
    "NotFound",
    "NotReady",
    "Problem",
    "SideEffect",
    "TooManyAttempts",
    "Unauthenticated",
    "ValidationFailed",
    "exception_handlers",
    "problem_responses",
    "problem_type",
]

logger = logging.getLogger("lantern.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"

#: Work that must survive the rollback of a failed request: the audit entry of a
#: denial, the counter of a failed sign-in. Run in a transaction of its own.
SideEffect = Callable[["AsyncSession"], Awaitable[None]]


def problem_type(slug: str) -> str:
    """The stable ``type`` URI of a problem."""
    return f"urn:lantern:problem:{slug}"


class FieldError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What is wrong with one input field."""

    field: str
    reason: str
    location: str
    code: str | None = None


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem details object, with Lantern's extension members."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None
    retry_after: int | None = None
    action: str | None = None


class LanternError(Exception):
    """Base of every error a service may raise."""

    slug: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = N_("The request could not be completed.")

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
        side_effects: Sequence[SideEffect] = (),
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.side_effects = list(side_effects)


class ValidationFailed(LanternError):
    slug, status, title = "validation", 422, N_("The request contains invalid values.")


class MalformedBody(LanternError):
    slug, status, title = "malformed-body", 400, N_("The request body is not valid JSON.")


class Unauthenticated(LanternError):
    slug, status, title = "unauthenticated", 401, N_("Sign in to continue.")

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="lantern"'})
        super().__init__(detail, **kwargs)


class InvalidCredentials(LanternError):
    slug, status, title = "invalid-credentials", 401, N_("The username or password is incorrect.")


class DeviceRevoked(LanternError):
    """Answer to every request from a revoked device: the app must wipe its data."""

    slug, status, title = "device-revoked", 403, N_("This device has been revoked.")
    action = "wipe-local-data"


class Forbidden(LanternError):
    slug, status, title = "forbidden", 403, N_("You are not allowed to do this.")


class NotFound(LanternError):
    slug, status, title = "not-found", 404, N_("Not found.")


class Conflict(LanternError):
    slug, status, title = "conflict", 409, N_("This conflicts with the current state.")


class TooManyAttempts(LanternError):
    slug, status, title = "too-many-attempts", 429, N_("Too many failed attempts. Try again later.")

    def __init__(self, retry_after: int, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(**kwargs)
        self.retry_after = retry_after


class NotReady(LanternError):
    slug, status, title = "not-ready", 503, N_("The service is not ready.")


# Litestar's own HTTP errors (routing, limits) by status: slug and title.
_HTTP_STATUS_PROBLEMS: dict[int, tuple[str, str]] = {
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

_AT_PATH = re.compile(r" - at `\$\.?(.*)`$")


_MISSING = re.compile(r"missing required field `([^`]+)`")


def _field_errors_from_validation(exc: ValidationException) -> list[FieldError]:
    """Field paths and reasons from Litestar's (msgspec's) validation messages."""
    errors: list[FieldError] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        match = _AT_PATH.search(message)
        if match:
            message = message[: match.start()]
        key = str(item.get("key", ""))
        if key == "data" or key.startswith("data."):
            key = key[5:]
        missing = _MISSING.search(message)
        if missing:
            key = f"{key}.{missing.group(1)}" if key else missing.group(1)
        errors.append(
            FieldError(field=key or "$", reason=message, location=str(item.get("source", "body")))
        )
    return errors


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
    gettext = translator_for(request.headers.get("accept-language"))
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


def _handle_lantern_error(request: Request[Any, Any, Any], exc: LanternError) -> Response[bytes]:
    problem = Problem(
        type=problem_type(exc.slug),
        title=exc.title,
        status=exc.status,
        detail=exc.detail,
        errors=exc.errors or None,
        retry_after=getattr(exc, "retry_after", None),
        action=getattr(exc, "action", None),
    )
    return _respond(request, problem, exc.headers)


def _handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, ValidationException):
        if _is_malformed_json(exc):
            return _handle_lantern_error(request, MalformedBody())
        errors = _field_errors_from_validation(exc)
        return _handle_lantern_error(request, ValidationFailed(errors=errors))
    if exc.status_code == 400:
        # Litestar raises a plain 400 when the body cannot be decoded at all.
        return _handle_lantern_error(request, MalformedBody())
    slug, title = _HTTP_STATUS_PROBLEMS.get(
        exc.status_code, ("http-error", N_("The request failed."))
    )
    if exc.status_code >= 500:
        logger.error("http error %s", exc.status_code)
    problem = Problem(type=problem_type(slug), title=title, status=exc.status_code)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="lantern"')
    if exc.status_code == 429 and "retry-after" in {k.lower() for k in headers}:
        retry = next(v for k, v in headers.items() if k.lower() == "retry-after")
        problem.retry_after = int(retry) if retry.isdigit() else None
    return _respond(request, problem, headers)


def _handle_unstorable(request: Request[Any, Any, Any], exc: DataError) -> Response[bytes]:
    # A value the schemas let through but the database refuses (a schema gap):
    # the request was rolled back; answer 422 rather than 500, and log the gap.
    logger.warning(
        "database refused a value", extra={"exception_type": type(exc.orig).__qualname__}
    )
    return _handle_lantern_error(
        request, ValidationFailed(N_("A value in the request cannot be stored."))
    )


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # Exception messages can carry user input (and SQL errors their parameters):
    # log the type and the stack only, never str(exc).
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error(
        "unhandled exception", extra={"exception_type": type(exc).__qualname__, "stack": stack}
    )
    problem = Problem(
        type=problem_type("internal"), title=_HTTP_STATUS_PROBLEMS[500][1], status=500
    )
    return _respond(request, problem)


_STATUS_DESCRIPTIONS = {
    400: "Malformed request body (`malformed-body`).",
    401: "Missing, invalid, expired or revoked token (`unauthenticated`), or bad credentials.",
    403: "Role not admitted (`forbidden`) or device revoked (`device-revoked`: wipe local data).",
    404: "No such object among those the caller may see (`not-found`).",
    409: "Conflicts with the current state (`conflict`).",
    413: "Request body too large (`payload-too-large`).",
    422: "Invalid values; `errors` lists each field and reason (`validation`).",
    429: "Rate limited or backing off after failed sign-ins; see `Retry-After`.",
    503: "Not ready (`not-ready`).",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems a route can answer with."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_STATUS_DESCRIPTIONS[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }


#: Problems any authenticated route may answer with.
AUTHENTICATED_PROBLEMS = (401, 403, 413, 422, 429)


exception_handlers: dict[type[Exception], Callable[..., Response[bytes]]] = {
    LanternError: _handle_lantern_error,
    HTTPException: _handle_http_exception,
    DataError: _handle_unstorable,
    Exception: _handle_unexpected,
}
