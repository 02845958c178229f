"""Creating and listing accounts."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.policy import listable_roles
from backend.access.principal import Principal
from backend.access.roles import Role
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.auth.repositories import ThrottleRepository, TokenRepository
from backend.auth.services import SignIn, normalise_username
from backend.db.base import utcnow
from backend.db.models import User
from backend.errors import FieldError, ValidationFailed
from backend.i18n import N_
from backend.runtime import Runtime
from backend.users.policy import password_problems
from backend.users.repositories import UserRepository
from backend.users.schemas import USERNAME_PATTERN

__all__ = ["UserService"]

_USERNAME = re.compile(USERNAME_PATTERN)


class UserService:
    """Accounts, created by an admin (or the ``lantern users create`` command)."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)
        self.throttle = ThrottleRepository(session)
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
        self.audit.record(
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
        self,
        principal: Principal,
        *,
        role: Role | None,
        username: str | None = None,
        limit: int,
        offset: int,
    ) -> list[User]:
        """Accounts by username, filtered by role and by a part of the username.

        Admins see every account. Coordinators see only the accounts they can
        add to operations (caseworkers and coordinators): who the
        investigators and admins are is none of their business.
        """
        roles = listable_roles(principal, asked=role)
        part = normalise_username(username) if username else None
        return await self.users.list(
            roles=roles, username_contains=part, limit=limit, offset=offset
        )

    async def get(
        self,
        actor: Principal | None,
        user_id: uuid.UUID | None = None,
        *,
        action: str,
        username: str | None = None,
    ) -> User:
        """An account, by id or by username, for an admin acting on it (else not found, audited)."""
        if user_id is not None:
            user = await self.users.get(user_id)
        else:
            user = await self.users.get_by_username(normalise_username(username or ""))
        if user is None:
            raise refused_as_not_found(
                N_("No such account."),
                keyring=self.runtime.keyring,
                action=action,
                actor_id=actor.user_id if actor else None,
                actor_role=actor.role if actor else "cli",
                object_type="user",
                object_id=user_id or (username or "")[:64],
                reason="not_found",
            )
        return user

    def _record(self, actor: Principal | None, action: str, user: User, **detail: int) -> None:
        self.audit.record(
            AuditEvent(
                action=action,
                actor_id=actor.user_id if actor else None,
                actor_role=actor.role if actor else "cli",
                object_type="user",
                object_id=str(user.id),
                detail=dict(detail),
            )
        )

    async def set_disabled(self, actor: Principal | None, user: User, *, disabled: bool) -> User:
        """Disable an account (every token refused at once, sign-in refused) or enable it."""
        now = utcnow()
        revoked = 0
        if disabled:
            if user.disabled_at is None:
                user.disabled_at = now
            revoked = await self.tokens.revoke_for_user(user.id, at=now, reason="user_disabled")
        else:
            user.disabled_at = None
        self._record(
            actor, "user.disable" if disabled else "user.enable", user, tokens_revoked=revoked
        )
        return user

    async def revoke_tokens(self, actor: Principal | None, user: User) -> int:
        """Revoke every live token of an account (it must sign in again everywhere)."""
        revoked = await self.tokens.revoke_for_user(user.id, at=utcnow(), reason="admin_revoked")
        self._record(actor, "user.revoke_tokens", user, tokens_revoked=revoked)
        return revoked

    async def unlock(self, actor: Principal | None, user: User) -> int:
        """End every sign-in back-off of an account at once."""
        cleared = await self.throttle.unlock_account(
            SignIn(self.runtime).account_tag(user.username)
        )
        self._record(actor, "user.unlock", user, counters_cleared=cleared)
        return cleared
