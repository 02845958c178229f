"""Every query on tokens, devices and sign-in throttling."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AccessToken, Device, LoginThrottle, OperationMember, User
from backend.db.statements import dialect_insert, insert_if_absent, rowcount

__all__ = ["DeviceRepository", "ThrottleRepository", "TokenRepository", "TokenRow"]


class TokenRow:
    """A token found by its hash, with what decides whether it still works."""

    __slots__ = ("device_revoked_at", "token", "user")

    def __init__(
        self, token: AccessToken, user: User, device_revoked_at: dt.datetime | None
    ) -> None:
        self.token = token
        self.user = user
        self.device_revoked_at = device_revoked_at


class TokenRepository:
    """Access tokens (stored as keyed hashes)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, token: AccessToken) -> None:
        """Stage a new token."""
        self.session.add(token)

    async def find(self, token_hashes: Sequence[bytes]) -> TokenRow | None:
        """The token with one of these hashes, its user and its device's revocation.

        One query reads the token, the account's state and the device's state
        together, so a revoked device or a disabled account is refused by the
        same read that finds the token, even for a token issued while a
        revocation was racing the sign-in.
        """
        result = await self.session.execute(
            select(AccessToken, User, Device.revoked_at)
            .join(User, User.id == AccessToken.user_id)
            .outerjoin(Device, Device.id == AccessToken.device_id)
            .where(AccessToken.token_hash.in_(list(token_hashes)))
            .limit(1)
        )
        row = result.first()
        return TokenRow(row[0], row[1], row[2]) if row else None

    async def revoke(self, token_id: uuid.UUID, *, at: dt.datetime, reason: str) -> None:
        """Revoke one token."""
        await self.session.execute(
            update(AccessToken)
            .where(AccessToken.id == token_id, AccessToken.revoked_at.is_(None))
            .values(revoked_at=at, revoke_reason=reason)
        )

    async def revoke_for_device(self, device_id: uuid.UUID, *, at: dt.datetime) -> int:
        """Revoke every live token of a device; returns how many."""
        result = await self.session.execute(
            update(AccessToken)
            .where(AccessToken.device_id == device_id, AccessToken.revoked_at.is_(None))
            .values(revoked_at=at, revoke_reason="device_revoked")
        )
        return rowcount(result)

    async def revoke_for_user(self, user_id: uuid.UUID, *, at: dt.datetime, reason: str) -> int:
        """Revoke every live token of a user; returns how many."""
        result = await self.session.execute(
            update(AccessToken)
            .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
            .values(revoked_at=at, revoke_reason=reason)
        )
        return rowcount(result)


class DeviceRepository:
    """Registered devices, each bound to the account that first signed in with it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, device_id: uuid.UUID) -> Device | None:
        """The device with this id."""
        return await self.session.get(Device, device_id)

    async def register(
        self, device_id: uuid.UUID, *, user_id: uuid.UUID, at: dt.datetime
    ) -> Device:
        """The device, registered to ``user_id`` now if it was unknown (safe under concurrency)."""
        await insert_if_absent(
            self.session,
            Device,
            id=device_id,
            registered_by=user_id,
            registered_at=at,
            last_seen_at=at,
        )
        result = await self.session.execute(
            select(Device).where(Device.id == device_id).execution_options(populate_existing=True)
        )
        return result.scalar_one()

    async def list_for_user(self, user_id: uuid.UUID) -> list[Device]:
        """The devices bound to ``user_id``, newest first."""
        result = await self.session.execute(
            select(Device)
            .where(Device.registered_by == user_id)
            .order_by(Device.registered_at.desc(), Device.id)
        )
        return list(result.scalars())

    async def shares_operation(self, owner_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Whether ``owner_id`` and ``user_id`` are members of a common operation."""
        mine = select(OperationMember.operation_id).where(OperationMember.user_id == user_id)
        result = await self.session.execute(
            select(OperationMember.operation_id)
            .where(OperationMember.user_id == owner_id, OperationMember.operation_id.in_(mine))
            .limit(1)
        )
        return result.first() is not None


class ThrottleRepository:
    """Counters of sign-in attempts."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def reserve(
        self, key: bytes, *, account_tag: bytes | None, now: dt.datetime, window_start: dt.datetime
    ) -> tuple[int, dt.datetime | None, dt.datetime | None]:
        """Count one attempt atomically, before the password is checked.

        One upsert statement, so concurrent attempts are all counted (no lost
        update, no clash on the first insert) on PostgreSQL as on SQLite.

        Returns:
            The attempts in the current window (this one included), the time the
            key is locked until, and the time it is trusted until.
        """
        values = dialect_insert(self.session)(LoginThrottle).values(
            key=key, account_tag=account_tag, failures=1, last_failure_at=now
        )
        statement = values.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case(
                    (LoginThrottle.last_failure_at < window_start, 1),
                    else_=LoginThrottle.failures + 1,
                ),
                "last_failure_at": now,
            },
        ).returning(LoginThrottle.failures, LoginThrottle.locked_until, LoginThrottle.trusted_until)
        row = (await self.session.execute(statement)).one()
        return int(row[0]), row[1], row[2]

    async def lock_until(self, key: bytes, until: dt.datetime) -> None:
        """Refuse sign-ins for this key until ``until``."""
        await self.session.execute(
            update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=until)
        )

    async def succeeded(
        self,
        keys: Sequence[bytes],
        *,
        account_tag: bytes,
        trusted_until: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Reset counters after a successful sign-in and trust these keys for a while."""
        for key in keys:
            statement = (
                dialect_insert(self.session)(LoginThrottle)
                .values(
                    key=key,
                    account_tag=account_tag,
                    failures=0,
                    last_failure_at=now,
                    trusted_until=trusted_until,
                )
                .on_conflict_do_update(
                    index_elements=[LoginThrottle.key],
                    set_={"failures": 0, "locked_until": None, "trusted_until": trusted_until},
                )
            )
            await self.session.execute(statement)

    async def release(self, key: bytes) -> None:
        """Give back a reservation that turned out to be a success (spray counters)."""
        await self.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )

    async def trusted_until(self, keys: Sequence[bytes]) -> dt.datetime | None:
        """The latest time any of these keys is trusted until (None: never trusted)."""
        if not keys:
            return None
        found = await self.session.scalar(
            select(func.max(LoginThrottle.trusted_until)).where(LoginThrottle.key.in_(list(keys)))
        )
        return found if isinstance(found, dt.datetime) else None

    async def unlock_keys(self, keys: Sequence[bytes]) -> int:
        """Forget these counters (one network's, under every key); returns how many."""
        result = await self.session.execute(
            delete(LoginThrottle).where(LoginThrottle.key.in_(list(keys)))
        )
        return rowcount(result)

    async def unlock_account(self, account_tag: bytes) -> int:
        """Forget every counter of one account; returns how many."""
        result = await self.session.execute(
            delete(LoginThrottle).where(LoginThrottle.account_tag == account_tag)
        )
        return rowcount(result)

    async def prune(self, *, now: dt.datetime, window_start: dt.datetime, batch: int = 500) -> int:
        """Delete up to ``batch`` counters that no longer count, lock or trust anything."""
        stale = (
            select(LoginThrottle.key)
            .where(
                LoginThrottle.last_failure_at < window_start,
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
                or_(LoginThrottle.trusted_until.is_(None), LoginThrottle.trusted_until < now),
            )
            .limit(batch)
        )
        result = await self.session.execute(
            delete(LoginThrottle).where(and_(LoginThrottle.key.in_(stale)))
        )
        return rowcount(result)
