"""Request and response bodies of sign-in, sign-out, /me and device revocation."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from backend.access.roles import Role
from backend.types import CONTROL_FREE

__all__ = [
    "DeviceOut",
    "DeviceRevoked",
    "Me",
    "NetworkCleared",
    "NetworkUnlock",
    "TokenRequest",
    "TokenResponse",
]


class NetworkUnlock(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The client network whose sign-in back-off an admin ends."""

    #: An IPv4 address, an IPv6 address or its /64 (``2001:db8:1:2::/64``).
    address: Annotated[str, msgspec.Meta(max_length=64)]


class NetworkCleared(msgspec.Struct, kw_only=True):
    """How many sign-in back-off counters of the network were cleared."""

    counters_cleared: int


class TokenRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Credentials, and the device the token is for (phones send it; browsers need not)."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=CONTROL_FREE)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    device_id: uuid.UUID | None = None
    #: What the person calls the device ("Samsung A14 - team 3"); kept with it.
    device_label: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=CONTROL_FREE)] | None
    ) = None


class TokenResponse(msgspec.Struct, kw_only=True):
    """A bearer token; send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str
    expires_at: dt.datetime
    role: Role
    user_id: uuid.UUID
    device_id: uuid.UUID | None


class Me(msgspec.Struct, kw_only=True):
    """The caller, as the server sees them."""

    id: uuid.UUID
    username: str
    role: Role
    device_id: uuid.UUID | None
    operations: list[uuid.UUID]


class DeviceRevoked(msgspec.Struct, kw_only=True):
    """A revoked device and how many live tokens it lost."""

    device_id: uuid.UUID
    revoked_at: dt.datetime
    tokens_revoked: int


class DeviceOut(msgspec.Struct, kw_only=True):
    """A device and the account it is bound to."""

    id: uuid.UUID
    user_id: uuid.UUID
    registered_at: dt.datetime
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None
    label: str | None
