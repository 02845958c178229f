"""Browser sessions of the console: the cookie, its idle limit, and CSRF tokens.

A console session *is* a bearer token of the API (issued by the same sign-in,
with the same back-off and audit), bound to the browser's own device. The
token travels in an HttpOnly, SameSite=Strict cookie together with the time
of the last request and a MAC over both, so an idle session ends without a
write per request, and disabling the account or revoking the browser (its
device) ends the session on the next request, because every request resolves
the token exactly as the API does.
"""

from __future__ import annotations

import base64
import hmac
import time
import uuid

from backend.crypto.pseudonyms import pseudonym
from backend.runtime import Runtime

__all__ = [
    "DEVICE_COOKIE",
    "LANGUAGE_COOKIE",
    "SESSION_COOKIE",
    "SIGNIN_COOKIE",
    "csrf_matches",
    "csrf_token",
    "open_session",
    "parse_device",
    "seal_session",
    "signin_token",
]

#: The session: token, time of last use, MAC.
SESSION_COOKIE = "lantern_session"
#: The browser's device id, kept after sign-out so the browser stays one device.
DEVICE_COOKIE = "lantern_browser"
#: The chosen language (a display preference, nothing secret).
LANGUAGE_COOKIE = "lantern_language"
#: Before sign-in: a random value the sign-in form must echo (double submit).
SIGNIN_COOKIE = "lantern_signin"

_MAX_COOKIE = 512


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(runtime: Runtime, *parts: str) -> str:
    return _b64(pseudonym(runtime.keyring, "console-session", *parts))


def seal_session(runtime: Runtime, token: str, *, now: float | None = None) -> str:
    """The cookie value of a session whose last use is ``now`` (seconds since the epoch)."""
    stamp = str(int(time.time() if now is None else now))
    return f"{token}.{stamp}.{_mac(runtime, 'session', token, stamp)}"


def open_session(runtime: Runtime, value: str | None, *, now: float | None = None) -> str | None:
    """The token of a session cookie, or ``None`` if it is forged, malformed or idle too long."""
    if not value or len(value) > _MAX_COOKIE or value.count(".") != 2:
        return None
    token, stamp, mac = value.split(".")
    if not stamp.isdigit() or not hmac.compare_digest(mac, _mac(runtime, "session", token, stamp)):
        return None
    idle = (time.time() if now is None else now) - int(stamp)
    if idle < -60 or idle > runtime.settings.console_idle_seconds:
        return None
    return token


def csrf_token(runtime: Runtime, token: str) -> str:
    """The CSRF token every state-changing form of this session carries."""
    return _mac(runtime, "csrf", token)


def signin_token(runtime: Runtime, nonce: str) -> str:
    """The value the sign-in form carries for the browser's pre-sign-in nonce."""
    return _mac(runtime, "signin", nonce)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a form's token with the expected one."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def parse_device(value: str | None) -> uuid.UUID | None:
    """The browser's device id from its cookie, if it holds one."""
    if not value or len(value) > 40:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
