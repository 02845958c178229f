"""Request and response bodies for users."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from backend.access.roles import Role

__all__ = ["USERNAME_PATTERN", "Cleared", "TokensRevoked", "UserCreate", "UserOut"]

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"


class UserCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new account. The password must meet the policy (15+ characters, not common)."""

    username: Annotated[str, msgspec.Meta(pattern=USERNAME_PATTERN, examples=["cw.tester"])]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    role: Role


class UserOut(msgspec.Struct, kw_only=True):
    """An account, without secrets."""

    id: uuid.UUID
    username: str
    role: Role
    created_at: dt.datetime
    disabled: bool


class TokensRevoked(msgspec.Struct, kw_only=True):
    """How many live tokens were revoked."""

    tokens_revoked: int


class Cleared(msgspec.Struct, kw_only=True):
    """How many sign-in back-off counters were cleared."""

    counters_cleared: int
