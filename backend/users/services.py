"""Creating and listing accounts."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.services import AuditEvent, AuditLog
from backend.auth.principal import Principal, Role
from backend.auth.services import normalise_username
from backend.db.models import User
from backend.errors import FieldError, ValidationFailed
from backend.i18n import N_
from backend.runtime import Runtime
from backend.users.policy import password_problems
from backend.users.repositories import UserRepository
from backend.users.schemas import USERNAME_PATTERN

__all__ = ["UserService"]

_USERNAME = re.compile(USERNAME_PATTERN)
_MEMBER_ROLES = ("caseworker", "coordinator")


class UserService:
    """Accounts, created by an admin (or the ``lantern users create`` command)."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.users = UserRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    async def create(
        self, *, actor: Principal | None, username: str, password: str, role: Role
    ) -> User:
        """Create an account.

        Args:
            actor: The admin creating it; ``None`` for the command line.
            username: Letters, digits, ``.``, ``_``, ``-``; 3 to 64; stored case-folded.
            password: Checked against the policy, stored as an argon2id hash.
            role: caseworker, coordinator, investigator or admin.

        Raises:
            ValidationFailed: the username or password is refused (with reasons).
            Conflict: the username is taken.
        """
        name = normalise_username(username)
        errors = [
            FieldError(location="body", field="password", reason=reason, code="password_policy")
            for reason in password_problems(password, username=name)
        ]
        if not _USERNAME.match(name):
            errors.insert(
                0,
                FieldError(
                    location="body",
                    field="username",
                    reason="3 to 64 letters, digits, '.', '_' or '-'",
                ),
            )
        if errors:
            raise ValidationFailed(N_("The account was not created."), errors=errors)
        user = User(
            username=name,
            password_hash=await self.runtime.hasher.hash(password),
            role=role,
            created_by=actor.user_id if actor else None,
        )
        await self.users.add(user)
        await self.audit.append(
            AuditEvent(
                action="user.create",
                actor_id=actor.user_id if actor else None,
                actor_role=actor.role if actor else "cli",
                object_type="user",
                object_id=str(user.id),
                detail={"role": role},
            )
        )
        return user

    async def list(
        self, principal: Principal, *, role: Role | None, limit: int, offset: int
    ) -> list[User]:
        """Accounts by username.

        Admins see every account. Coordinators see only the accounts they can
        add to operations (caseworkers and coordinators): who the
        investigators and admins are is none of their business.
        """
        roles: tuple[str, ...] | None = None
        if principal.role != "admin":
            roles = tuple(r for r in _MEMBER_ROLES if role is None or r == role)
        elif role is not None:
            roles = (role,)
        return await self.users.list(roles=roles, limit=limit, offset=offset)
