"""Creating operations and managing their members."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.access.roles import MEMBER_ROLES, Role
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.db.base import utcnow
from backend.db.models import Operation, OperationMember, User
from backend.errors import FieldError, NotFound, ValidationFailed
from backend.i18n import N_
from backend.operations.countries import ISO_3166_ALPHA_2
from backend.operations.repositories import OperationRepository
from backend.operations.schemas import OperationCreate
from backend.runtime import Runtime
from backend.users.repositories import UserRepository

__all__ = ["OperationService"]


class OperationService:
    """Operations are visible to their members only."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.operations = OperationRepository(session)
        self.users = UserRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    async def create(self, principal: Principal, data: OperationCreate) -> Operation:
        """Create an operation; its creator becomes its first member.

        Raises:
            ValidationFailed: unknown country code, or an end before the start.
        """
        country = data.country.upper()
        errors = []
        if country not in ISO_3166_ALPHA_2:
            errors.append(
                FieldError(
                    location="body",
                    field="country",
                    reason="not an assigned ISO 3166-1 alpha-2 country code",
                )
            )
        if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
            errors.append(
                FieldError(location="body", field="ends_on", reason="is before starts_on")
            )
        if errors:
            raise ValidationFailed(errors=errors)
        now = utcnow()
        operation = Operation(
            id=uuid.uuid4(),
            name=data.name.strip(),
            country=country,
            site=data.site.strip(),
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            created_by=principal.user_id,
            created_at=now,
        )
        self.operations.add(operation)
        await self.operations.flush()
        self.operations.add_member(
            OperationMember(
                operation_id=operation.id,
                user_id=principal.user_id,
                added_by=principal.user_id,
                added_at=now,
            )
        )
        self.audit.record(
            AuditEvent(
                action="operation.create",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="operation",
                object_id=str(operation.id),
            )
        )
        return operation

    def _not_found(self, principal: Principal, operation_id: uuid.UUID, action: str) -> NotFound:
        return refused_as_not_found(
            N_("No such operation among yours."),
            keyring=self.runtime.keyring,
            action=action,
            actor_id=principal.user_id,
            actor_role=principal.role,
            object_type="operation",
            object_id=operation_id,
            reason="not_a_member_or_missing",
        )

    async def get(self, principal: Principal, operation_id: uuid.UUID) -> Operation:
        """An operation the caller belongs to (else not found, audited)."""
        operation = await self.operations.get_for_member(operation_id, principal.user_id)
        if operation is None:
            raise self._not_found(principal, operation_id, "operation.read")
        return operation

    async def list_visible(
        self, principal: Principal, *, limit: int = 100, offset: int = 0
    ) -> list[Operation]:
        """The caller's operations; every operation for an admin (names and sites only)."""
        if principal.role == Role.ADMIN:
            return await self.operations.list_all(limit=limit, offset=offset)
        return await self.operations.list_for_member(principal.user_id, limit=limit, offset=offset)

    async def operation_ids_of(self, principal: Principal) -> list[uuid.UUID]:
        """Ids of the caller's operations."""
        return await self.operations.ids_for_member(principal.user_id)

    async def add_member(
        self, principal: Principal, operation_id: uuid.UUID, user_id: uuid.UUID
    ) -> tuple[OperationMember, User, bool]:
        """Add a caseworker or coordinator to an operation the caller belongs to.

        Returns:
            The membership, its user, and whether it is new (adding twice is a no-op).

        Raises:
            NotFound: the operation is not one of the caller's.
            ValidationFailed: no such user, or the user's role cannot be a member.
        """
        if await self.operations.get_for_member(operation_id, principal.user_id) is None:
            raise self._not_found(principal, operation_id, "operation.add_member")
        user = await self.users.get(user_id)
        if user is None or user.disabled_at is not None or user.role not in MEMBER_ROLES:
            # One answer for all three: the role of an account the caller may
            # not see (an investigator, an admin) is none of their business.
            raise ValidationFailed(
                errors=[
                    FieldError(
                        location="body",
                        field="user_id",
                        reason="no active caseworker or coordinator with this id",
                    )
                ]
            )
        added = await self.operations.add_member_if_absent(
            operation_id, user_id, added_by=principal.user_id, at=utcnow()
        )
        member = await self.operations.get_member(operation_id, user_id)
        assert member is not None
        if not added:
            return member, user, False
        self.audit.record(
            AuditEvent(
                action="operation.add_member",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="operation",
                object_id=str(operation_id),
                detail={"user_id": str(user_id)},
            )
        )
        return member, user, True

    async def members(
        self, principal: Principal, operation_id: uuid.UUID
    ) -> list[tuple[OperationMember, User]]:
        """Members of one of the caller's operations."""
        if await self.operations.get_for_member(operation_id, principal.user_id) is None:
            raise self._not_found(principal, operation_id, "operation.list_members")
        return await self.operations.members(operation_id)

    async def remove_member(
        self, principal: Principal, operation_id: uuid.UUID, user_id: uuid.UUID
    ) -> bool:
        """Remove a member from one of the caller's operations; whether it was a member.

        Sync turns a removal into purge instructions for the member's devices.
        """
        if await self.operations.get_for_member(operation_id, principal.user_id) is None:
            raise self._not_found(principal, operation_id, "operation.remove_member")
        removed = await self.operations.remove_member(operation_id, user_id)
        if removed:
            self.audit.record(
                AuditEvent(
                    action="operation.remove_member",
                    actor_id=principal.user_id,
                    actor_role=principal.role,
                    object_type="operation",
                    object_id=str(operation_id),
                    detail={"user_id": str(user_id)},
                )
            )
        return removed
