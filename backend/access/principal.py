"""Who is calling: resolved from the bearer token for every request."""

from __future__ import annotations

import uuid

import msgspec

from backend.access.roles import Role

__all__ = ["Principal"]


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The authenticated user of a request, with the token and device it came with."""

    user_id: uuid.UUID
    username: str
    role: Role
    token_id: uuid.UUID
    device_id: uuid.UUID | None = None
