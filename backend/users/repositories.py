"""Every query on users."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import User
from backend.errors import Conflict

__all__ = ["UserRepository"]


class UserRepository:
    """Users, looked up by id or by normalised username."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        """The user with this id."""
        return await self.session.get(User, user_id)

    async def get_by_username(self, username: str) -> User | None:
        """The user with this (already normalised) username."""
        result = await self.session.execute(select(User).where(User.username == username))
        return result.scalar_one_or_none()

    async def add(self, user: User) -> None:
        """Insert a user now, so that a taken username is reported as a conflict."""
        try:
            async with self.session.begin_nested():
                self.session.add(user)
                await self.session.flush()
        except IntegrityError:
            raise Conflict("That username is taken.") from None

    async def list(
        self,
        *,
        roles: Collection[str] | None = None,
        username_contains: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[User]:
        """Users by username, optionally only of some roles or matching a part of the name."""
        query = select(User).order_by(User.username).limit(limit).offset(offset)
        if roles is not None:
            query = query.where(User.role.in_(list(roles)))
        if username_contains:
            escaped = (
                username_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            )
            query = query.where(User.username.like(f"%{escaped}%", escape="\\"))
        result = await self.session.execute(query)
        return list(result.scalars())
