"""Every query on tokens, devices and sign-in throttling."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AccessToken, Device, LoginThrottle, OperationMember, User
from backend.db.statements import dialect_insert, insert_if_absent

__all__ = ["DeviceRepository", "ThrottleRepository", "TokenRepository"]


class TokenRepository:
    """Access tokens (stored as keyed hashes)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, token: AccessToken) -> None:
        """Stage a new token."""
        self.session.add(token)

    async def get_with_user(self, token_hash: bytes) -> tuple[AccessToken, User] | None:
        """The token with this hash and its user."""
        result = await self.session.execute(
            select(AccessToken, User)
            .join(User, User.id == AccessToken.user_id)
            .where(AccessToken.token_hash == token_hash)
        )
        row = result.one_or_none()
        return (row[0], row[1]) if row else None

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
        return int(getattr(result, "rowcount", 0) or 0)


class DeviceRepository:
    """Registered devices."""

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

    async def shares_operation(self, device: Device, user_id: uuid.UUID) -> bool:
        """Whether the device's user and ``user_id`` are members of a common operation."""
        mine = select(OperationMember.operation_id).where(OperationMember.user_id == user_id)
        result = await self.session.execute(
            select(OperationMember.operation_id)
            .where(
                OperationMember.user_id == device.registered_by,
                OperationMember.operation_id.in_(mine),
            )
            .limit(1)
        )
        return result.first() is not None


class ThrottleRepository:
    """Counters of failed sign-ins."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_many(self, keys: list[bytes]) -> dict[bytes, LoginThrottle]:
        """The counters that exist among ``keys``."""
        result = await self.session.execute(
            select(LoginThrottle).where(LoginThrottle.key.in_(keys))
        )
        return {row.key: row for row in result.scalars()}

    async def record_failure(
        self, key: bytes, *, now: dt.datetime, window_start: dt.datetime
    ) -> int:
        """Count one failure atomically and return the count in the current window.

        One upsert statement, so concurrent failures are all counted (no lost
        update, no clash on the first insert) on PostgreSQL as on SQLite.
        """
        values = dialect_insert(self.session)(LoginThrottle).values(
            key=key, failures=1, last_failure_at=now
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
        ).returning(LoginThrottle.failures)
        return int((await self.session.execute(statement)).scalar_one())

    async def lock_until(self, key: bytes, until: dt.datetime) -> None:
        """Refuse sign-ins for this key until ``until``."""
        await self.session.execute(
            update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=until)
        )

    async def delete(self, key: bytes) -> None:
        """Forget a counter."""
        await self.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
