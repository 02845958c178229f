"""Sign-in and sign-out, the language switch, the start page and the caller's own devices."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from backend.access.guards import allow
from backend.access.roles import Role
from backend.auth.controllers import client_address
from backend.auth.services import AuthService, DeviceService, SignIn
from backend.console.glue import CONSOLE_PATH, language_of, page, redirect, session_cookie
from backend.console.services import (
    DEVICE_COOKIE,
    LANGUAGE_COOKIE,
    SIGNIN_COOKIE,
    csrf_matches,
    parse_device,
    seal_session,
    signin_token,
)
from backend.db.session import READS, WRITES, defer_side_effects
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.errors import (
    DeviceBoundElsewhere,
    DeviceRevoked,
    InvalidCredentials,
    LanternError,
    TooManyAttempts,
)
from backend.i18n import N_
from backend.runtime import Runtime
from backend.types import CONTROL_FREE

__all__ = ["home", "language", "login", "login_form", "logout", "my_devices"]

PUBLIC = {"public": True}
EVERYONE = tuple(Role)
#: Where each role starts in the console.
START = {
    Role.COORDINATOR: f"{CONSOLE_PATH}/cases",
    Role.INVESTIGATOR: f"{CONSOLE_PATH}/investigations",
    Role.ADMIN: f"{CONSOLE_PATH}/admin/users",
}
_REASONS = {
    "signin": N_("Sign in to use the console."),
    "revoked": N_("This browser was revoked. Sign in again to register it as a new device."),
    "signed_out": N_("You have signed out."),
}
_DEFAULT_LABEL = "Web browser"


def _cookie(runtime: Runtime, key: str, value: str | None, *, days: int) -> Cookie:
    return Cookie(
        key=key,
        value=value or "",
        path=CONSOLE_PATH,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.mode != "development",
        max_age=days * 86400 if value else 0,
    )


def _form(
    request: Request[Any, Any, Any],
    runtime: Runtime,
    *,
    message: str | None,
    status: int = 200,
    username: str = "",
    device_label: str = "",
) -> Template:
    nonce = secrets.token_urlsafe(24)
    template = page(
        request,
        "login.html",
        status=status,
        message=runtime.catalogs.translator(language_of(request, runtime))(message)
        if message
        else None,
        signin=signin_token(runtime, nonce),
        username=username,
        device_label=device_label,
    )
    template.set_cookie(_cookie(runtime, SIGNIN_COOKIE, nonce, days=1))
    return template


@get("/login", opt=PUBLIC, name="console.login_form")
async def login_form(request: Request[Any, Any, Any], runtime: RuntimeDep) -> Template:
    """The sign-in form (with a fresh anti-forgery nonce)."""
    reason = request.query_params.get("reason", "")
    return _form(request, runtime, message=_REASONS.get(reason))


def _valid(value: str, *, most: int) -> bool:
    import re

    return 0 < len(value) <= most and re.fullmatch(CONTROL_FREE, value) is not None


@post("/login", opt=PUBLIC, name="console.login", status_code=303)
async def login(request: Request[Any, Any, Any], runtime: RuntimeDep) -> Response[Any]:
    """Sign in with the API's sign-in (same back-off, same audit); the browser is a device."""
    form = await request.form()
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    label = str(form.get("device_label") or "").strip()
    again = {"username": username[:64], "device_label": label[:80]}
    if not nonce or not csrf_matches(signin_token(runtime, nonce), str(form.get("csrf") or "")):
        msg = N_("The sign-in form expired; please try again.")
        return _form(request, runtime, message=msg, status=403, **again)
    if not _valid(username, most=64) or not 0 < len(password) <= 1024:
        msg = N_("Enter your username and password.")
        return _form(request, runtime, message=msg, status=422, **again)
    if label and not _valid(label, most=80):
        msg = N_("The name of this browser may hold up to 80 characters.")
        return _form(request, runtime, message=msg, status=422, **again)
    device_id = parse_device(request.cookies.get(DEVICE_COOKIE)) or uuid.uuid4()
    try:
        issued = await SignIn(runtime).login(
            username=username,
            password=password,
            device_id=device_id,
            client_address=client_address(request),
            device_label=label or _DEFAULT_LABEL,
        )
    except LanternError as exc:
        return _refused(request, runtime, exc, again)
    response: Response[Any] = Redirect(path=f"{CONSOLE_PATH}/", status_code=303)
    response.set_cookie(session_cookie(runtime, seal_session(runtime, issued.access_token)))
    response.set_cookie(_cookie(runtime, DEVICE_COOKIE, str(device_id), days=400))
    response.set_cookie(_cookie(runtime, SIGNIN_COOKIE, None, days=0))
    return response


def _refused(
    request: Request[Any, Any, Any], runtime: Runtime, exc: LanternError, again: dict[str, str]
) -> Template:
    """The sign-in form again, saying why; the refusal's audit entries are still written."""
    if exc.side_effects:
        defer_side_effects(exc.side_effects)
    new_device = False
    if isinstance(exc, TooManyAttempts):
        message, status = N_("Too many attempts. Wait a few minutes and try again."), 429
    elif isinstance(exc, InvalidCredentials):
        message, status = N_("The username or password is wrong."), 401
    elif isinstance(exc, DeviceRevoked):
        message, status = _REASONS["revoked"], 403
        new_device = True
    elif isinstance(exc, DeviceBoundElsewhere):
        message, status = N_("This browser was registered to another account. Sign in again."), 403
        new_device = True
    else:
        raise exc
    template = _form(request, runtime, message=message, status=status, **again)
    if isinstance(exc, TooManyAttempts):
        template.headers["Retry-After"] = str(exc.retry_after)
    if new_device:
        template.set_cookie(_cookie(runtime, DEVICE_COOKIE, None, days=0))
    return template


@post(
    "/logout",
    guards=[allow(*EVERYONE)],
    opt={**WRITES, "api": ("POST", "/api/v1/auth/logout")},
    name="console.logout",
    status_code=303,
)
async def logout(
    principal: CurrentPrincipal, db_session: DbSession, runtime: RuntimeDep
) -> Redirect:
    """Revoke the session's token, as the API's sign-out does."""
    await AuthService(db_session, runtime).logout(principal)
    response = redirect(f"{CONSOLE_PATH}/login?reason=signed_out")
    response.set_cookie(session_cookie(runtime, None))
    return response


@get("/language", opt=PUBLIC, name="console.language")
async def language(request: Request[Any, Any, Any], runtime: RuntimeDep) -> Redirect:
    """Remember the chosen language (a display preference) and go back."""
    chosen = runtime.catalogs.match(request.query_params.get("lang", "")[:35])
    target = request.query_params.get("next", "")
    if not target.startswith(f"{CONSOLE_PATH}/") or "//" in target or "\\" in target:
        target = f"{CONSOLE_PATH}/"
    response = redirect(target)
    if chosen:
        response.set_cookie(_cookie(runtime, LANGUAGE_COOKIE, chosen, days=400))
    return response


@get(
    "/",
    guards=[allow(*EVERYONE)],
    opt={**READS, "api": ("GET", "/api/v1/me")},
    name="console.home",
)
async def home(request: Request[Any, Any, Any], principal: CurrentPrincipal) -> Response[Any]:
    """Each role's start page; a caseworker has none here."""
    start = START.get(principal.role)
    if start:
        return redirect(start)
    return page(request, "home.html")


@get(
    "/me/devices",
    guards=[allow(*EVERYONE)],
    opt={**READS, "api": ("GET", "/api/v1/me/devices")},
    name="console.my_devices",
)
async def my_devices(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """The caller's phones and browsers, with their labels and last use."""
    devices = await DeviceService(db_session, runtime).list_for(principal, principal.user_id)
    translate = runtime.catalogs.translator(language_of(request, runtime))
    return page(
        request,
        "devices.html",
        heading=translate(N_("My devices")),
        devices=devices,
        may_revoke=False,
        owner=str(principal.user_id),
    )
