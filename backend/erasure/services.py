"""Erasure by crypto-shredding, closure, and retention that erases what is kept too long.

Erasing a case destroys its data key: every sealed body of the case, in this
database and in any copy of its records, becomes unreadable. The records stay
as tombstones (deleted, body and facets blanked) so that sync can tell phones
to drop them, one audit entry records who erased which case and why (a reason
code, never text), and every other table's forgetter runs in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog
from backend.cases.services import CaseService
from backend.db.base import utcnow
from backend.db.models import Record
from backend.erasure.forgetters import FORGETTERS
from backend.erasure.repositories import LifecycleRepository
from backend.erasure.schemas import ClosureOut, ErasureOut, ErasureReason
from backend.runtime import Runtime
from backend.sync.server_writes import ServerWriter

__all__ = ["ErasureService"]


class ErasureService:
    """Close and erase cases of the caller's operations; apply retention."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.cases = CaseService(session, runtime)
        self.writer = ServerWriter(session, runtime)
        self.lifecycle = LifecycleRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    @property
    def retention_days(self) -> int:
        """Days after closure that a case is kept."""
        return self.runtime.settings.retention_days_after_closure

    async def erase(
        self, principal: Principal, case_id: uuid.UUID, *, reason: ErasureReason
    ) -> ErasureOut:
        """Erase a case of an operation the caller coordinates.

        Raises:
            NotFound: not a live case of the caller's operations (audited).
        """
        case = await self.cases.coordinated_case(principal, case_id, action="case.erase", lock=True)
        return await self._erase(
            case, actor_id=principal.user_id, actor_role=principal.role, reason=reason
        )

    async def _erase(
        self,
        case: Record,
        *,
        actor_id: uuid.UUID | None,
        actor_role: str | None,
        reason: ErasureReason,
    ) -> ErasureOut:
        records = await self.writer.erase_case(case)
        for forget in FORGETTERS:
            await forget(self.session, case.id)
        now = utcnow()
        row = await self.lifecycle.ensure(case.id, case.operation_id)
        row.erased_at, row.erased_by, row.erasure_reason = now, actor_id, reason
        self.audit.record(
            AuditEvent(
                action="case.erase",
                actor_id=actor_id,
                actor_role=actor_role,
                object_type="case",
                object_id=str(case.id),
                detail={"reason": reason, "records": records},
            )
        )
        return ErasureOut(case_id=case.id, erased_at=now, reason=reason, records=records)

    async def close(self, principal: Principal, case_id: uuid.UUID) -> ClosureOut:
        """Close a case: retention counts from now (closing again keeps the first date).

        Raises:
            NotFound: not a live case of the caller's operations (audited).
        """
        case = await self.cases.coordinated_case(principal, case_id, action="case.close", lock=True)
        row = await self.lifecycle.ensure(case.id, case.operation_id)
        if row.closed_at is None:
            row.closed_at, row.closed_by = utcnow(), principal.user_id
            self.audit.record(
                AuditEvent(
                    action="case.close",
                    actor_id=principal.user_id,
                    actor_role=principal.role,
                    object_type="case",
                    object_id=str(case.id),
                )
            )
        assert row.closed_at is not None
        return ClosureOut(
            case_id=case.id,
            closed_at=row.closed_at,
            erase_after=row.closed_at + dt.timedelta(days=self.retention_days),
        )

    async def due(self, now: dt.datetime) -> tuple[dt.datetime, list[uuid.UUID]]:
        """The retention cutoff, and the cases closed before it that are still kept."""
        cutoff = now - dt.timedelta(days=self.retention_days)
        return cutoff, [row.case_id for row in await self.lifecycle.closed_before(cutoff)]

    async def erase_by_system(self, case_id: uuid.UUID, *, reason: ErasureReason) -> int:
        """Erase one case without a coordinator: retention, or again after a restore.

        Returns:
            How many records became tombstones (0 if the case is not live here).
        """
        case = await self.writer.locked(case_id)
        if case is None or case.deleted or case.entity != "case":
            return 0
        erased = await self._erase(case, actor_id=None, actor_role=None, reason=reason)
        return erased.records
