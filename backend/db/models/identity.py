"""Users, devices, access tokens and login throttling."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.access.roles import Role
from backend.db.base import Base, utcnow

_ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)


class User(Base):
    """A person who signs in: caseworker, coordinator, investigator or admin."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None]


class Device(Base):
    """A phone, named by the UUID the app generated when installed."""

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    registered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    registered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    #: What its person calls it ("Samsung A14 - team 3"), sent at sign-in, so an admin
    #: can tell which one to revoke.
    label: Mapped[str | None] = mapped_column(String(80))


class AccessToken(Base):
    """A bearer token. Only a keyed hash of the token is stored."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_device_id", "device_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    #: Tokens hashed under a destroyed key stop working (their owners sign in again).
    key_id: Mapped[str] = mapped_column(String(32), info={"names_master_key": "sign-in-again"})
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(32))


class LoginThrottle(Base):
    """Sign-in attempts per key: account and network, account and device, network, account.

    ``key`` is a keyed pseudonym of what it counts; ``account_tag`` (a keyed
    pseudonym of the username) lets an admin unlock every counter of one
    account. ``trusted_until`` marks an account and network (or device) that
    signed in successfully: the per-account ceiling does not apply there, so a
    guesser elsewhere never locks the owner out.
    """

    __tablename__ = "login_throttle"

    key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    account_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]
    trusted_until: Mapped[dt.datetime | None]
