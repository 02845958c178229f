"""Every query on operations and memberships."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Operation, OperationMember, User
from backend.db.statements import insert_if_absent, rowcount

__all__ = ["OperationRepository"]


class OperationRepository:
    """Operations, read only through the caller's memberships."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, operation: Operation) -> None:
        """Stage a new operation."""
        self.session.add(operation)

    def add_member(self, member: OperationMember) -> None:
        """Stage a new membership."""
        self.session.add(member)

    async def add_member_if_absent(
        self, operation_id: uuid.UUID, user_id: uuid.UUID, *, added_by: uuid.UUID, at: dt.datetime
    ) -> bool:
        """Add a membership unless it exists (safe under concurrency); whether it was added."""
        return await insert_if_absent(
            self.session,
            OperationMember,
            operation_id=operation_id,
            user_id=user_id,
            added_by=added_by,
            added_at=at,
        )

    async def flush(self) -> None:
        """Send staged rows (so foreign keys see them)."""
        await self.session.flush()

    async def get_for_member(self, operation_id: uuid.UUID, user_id: uuid.UUID) -> Operation | None:
        """The operation, if ``user_id`` is one of its members."""
        result = await self.session.execute(
            select(Operation)
            .join(OperationMember, OperationMember.operation_id == Operation.id)
            .where(Operation.id == operation_id, OperationMember.user_id == user_id)
        )
        return result.scalar_one_or_none()

    async def list_for_member(
        self, user_id: uuid.UUID, *, limit: int, offset: int
    ) -> list[Operation]:
        """Operations ``user_id`` belongs to, newest first."""
        result = await self.session.execute(
            select(Operation)
            .join(OperationMember, OperationMember.operation_id == Operation.id)
            .where(OperationMember.user_id == user_id)
            .order_by(Operation.created_at.desc(), Operation.id)
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars())

    async def list_all(self, *, limit: int, offset: int) -> list[Operation]:
        """Every operation, newest first (for admins: no case content)."""
        result = await self.session.execute(
            select(Operation)
            .order_by(Operation.created_at.desc(), Operation.id)
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars())

    async def remove_member(self, operation_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Delete a membership; whether there was one."""
        result = await self.session.execute(
            delete(OperationMember).where(
                OperationMember.operation_id == operation_id, OperationMember.user_id == user_id
            )
        )
        return rowcount(result) > 0

    async def ids_for_member(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Ids of the operations ``user_id`` belongs to."""
        result = await self.session.execute(
            select(OperationMember.operation_id).where(OperationMember.user_id == user_id)
        )
        return sorted(result.scalars())

    async def member_ids(self, operation_id: uuid.UUID, *, role: str) -> list[uuid.UUID]:
        """Ids of the operation's members with this role whose accounts are enabled."""
        result = await self.session.execute(
            select(OperationMember.user_id)
            .join(User, User.id == OperationMember.user_id)
            .where(
                OperationMember.operation_id == operation_id,
                User.role == role,
                User.disabled_at.is_(None),
            )
        )
        return sorted(result.scalars())

    async def get_member(
        self, operation_id: uuid.UUID, user_id: uuid.UUID
    ) -> OperationMember | None:
        """One membership."""
        return await self.session.get(OperationMember, (operation_id, user_id))

    async def members(self, operation_id: uuid.UUID) -> list[tuple[OperationMember, User]]:
        """Members of an operation with their accounts."""
        result = await self.session.execute(
            select(OperationMember, User)
            .join(User, User.id == OperationMember.user_id)
            .where(OperationMember.operation_id == operation_id)
            .order_by(User.username)
        )
        return [(row[0], row[1]) for row in result]
