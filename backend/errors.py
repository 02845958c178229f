"""Domain errors: plain values that services raise, knowing nothing of HTTP.

``backend/problems.py`` maps each of them, once, to an RFC 9457 problem (a
status, a stable type, a localised title). Because an error is a plain value,
a problem can be built outside a request too: sync answers one problem per
rejected mutation inside a 200 response.

Work that must outlive the rollback of a failed request (the audit entry of a
denial, the counter of a failed sign-in) travels on the error as
``side_effects``; one runner (``backend/db/session.py``) runs them in a
transaction of their own before the answer leaves the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import msgspec

from backend.i18n import N_

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "Busy",
    "CaseErased",
    "Conflict",
    "ConsentRequired",
    "CursorExpired",
    "DeviceBoundElsewhere",
    "DeviceRevoked",
    "FieldError",
    "Forbidden",
    "InvalidCredentials",
    "LanternError",
    "MalformedBody",
    "NotFound",
    "NotMigrated",
    "NotReady",
    "PayloadTooLarge",
    "ResyncRequired",
    "SideEffect",
    "TooManyAttempts",
    "Unauthenticated",
    "ValidationFailed",
]

#: Work that must survive the rollback of a failed request: the audit entry of a
#: denial, the counter of a failed sign-in. Run in a transaction of its own.
SideEffect = Callable[["AsyncSession"], Awaitable[None]]


class FieldError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What is wrong with one input value.

    Attributes:
        field: A dotted path to the value (``mutations.3.data.name``; ``$`` for the whole).
        reason: What is wrong, in English, for the person fixing the request.
        location: Where the value was: ``body``, ``query``, ``path`` or ``header``.
        code: A stable machine-readable code where one exists (``bad_checksum``).
    """

    field: str
    reason: str
    location: str
    code: str | None = None


class LanternError(Exception):
    """Base of every error a service may raise.

    Args:
        detail: A sentence for this occurrence (translated where shown), or ``None``.
        errors: What is wrong with which input values.
        side_effects: Work to run, in its own transaction, although the request failed.
    """

    #: The default sentence; a gettext message id (translated where shown).
    title: str = N_("The request could not be completed.")

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        side_effects: Sequence[SideEffect] = (),
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors)
        self.side_effects = list(side_effects)


class ValidationFailed(LanternError):
    """Values that are well-formed but wrong."""

    title = N_("The request contains invalid values.")


class MalformedBody(LanternError):
    """A body that is not JSON at all, is empty, or nests too deeply."""

    title = N_("The request body is not valid JSON.")


class PayloadTooLarge(LanternError):
    """More than the server accepts in one request."""

    title = N_("The request body is too large.")


class Unauthenticated(LanternError):
    """No, invalid, expired or revoked credentials."""

    title = N_("Sign in to continue.")


class InvalidCredentials(LanternError):
    """Wrong username or password (the same answer for an unknown user)."""

    title = N_("The username or password is incorrect.")


class DeviceRevoked(LanternError):
    """Answer to every request from a revoked device: the app must wipe its data."""

    title = N_("This device has been revoked.")
    action = "wipe-local-data"


class DeviceBoundElsewhere(LanternError):
    """A device id already bound to another account."""

    title = N_("This device belongs to another account.")


class Forbidden(LanternError):
    """The caller's role may not do this."""

    title = N_("You are not allowed to do this.")


class NotFound(LanternError):
    """No such object among those the caller may see."""

    title = N_("Not found.")


class Conflict(LanternError):
    """The request conflicts with the current state."""

    title = N_("This conflicts with the current state.")


class CaseErased(LanternError):
    """A write to a case a coordinator erased: its data key is gone, nothing is kept."""

    title = N_("This case has been erased.")


class ConsentRequired(Conflict):
    """Case data would leave for a purpose the person has not consented to (or withdrew)."""

    title = N_("The person has not consented to this.")


class ResyncRequired(LanternError):
    """A sync cursor from before a server restore: re-push what the device holds, then pull."""

    title = N_("This device must send what it holds again, then sync from the start.")
    action = "re-push-then-resync"


class CursorExpired(LanternError):
    """A sync cursor older than the change log's horizon."""

    title = N_("This device has been away too long: sync from the start, keeping unpushed changes.")
    action = "resync-keep-unpushed"


class TooManyAttempts(LanternError):
    """Sign-in is backing off after failed attempts."""

    title = N_("Too many failed attempts. Try again later.")

    def __init__(self, retry_after: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class NotReady(LanternError):
    """The service cannot answer yet (database down or behind)."""

    title = N_("The service is not ready.")


class Busy(NotReady):
    """The database stayed locked by another writer for longer than the busy timeout."""

    title = N_("The server is busy. Try again in a moment.")


class NotMigrated(NotReady):
    """The database has not been migrated to this code's schema."""

    title = N_("The database is not migrated: run `lantern db upgrade`.")
