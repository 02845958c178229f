"""Disclosure requests: what an approval reveals, and the coordinators' decisions.

An approval names the records it reveals (the case's own, sealed disclosures,
by record id and revision, stored when the coordinator approves). The
investigator's read-back opens exactly those, and only while the case's
consent for financial investigation (or a recorded legal basis) holds:
:func:`basis_holds` is the one place this module asks.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.policy import SEALED_ROLES
from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog
from backend.cases.repositories import CaseRepository
from backend.crypto.vault import Vault, WrappedKey
from backend.db.base import utcnow
from backend.db.models import ApprovedRecord, DisclosureRequest, Investigation
from backend.errors import Conflict
from backend.i18n import N_
from backend.investigations.refusals import refused
from backend.investigations.repositories import (
    InvestigationRepository,
    LinkageRepository,
    set_legal_basis,
)
from backend.investigations.schemas import RequestForCoordinator, RevealedWallet
from backend.linkage.addresses import InvalidValue, normalize
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime
from backend.sync.sealing import open_body

__all__ = ["DisclosureDecisions", "Revelations", "basis_holds"]


async def basis_holds(index: LinkageRepository, case_id: uuid.UUID) -> bool:
    """Whether a case may reach investigators now: consent given, or a legal basis recorded.

    The same rule the index queries apply (``visible`` in the repository),
    asked here for one case.
    """
    return case_id in await index.with_basis([case_id])


class Revelations:
    """What an approved request reveals to its investigator, read back."""

    def __init__(self, index: LinkageRepository, vault: Vault) -> None:
        self.index = index
        self.vault = vault

    async def of(self, request: DisclosureRequest) -> list[RevealedWallet]:
        """The case's own wallets the approval named, opened under the case's key.

        Nothing while the case's basis does not hold (consent withdrawn, no
        legal basis), and nothing of a record added, revised or deleted since
        the approval: the read-back opens exactly the records approved.
        """
        if not await basis_holds(self.index, request.case_id):
            return []
        records = await self.index.approved_records(request.id)
        stored = await self.index.data_key(request.case_id) if records else None
        if stored is None:
            return []
        key = self.vault.unwrap(
            WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id), request.case_id
        )
        found: set[tuple[str, str]] = set()
        for record in records:
            values = open_body(key, record.id, record.body)
            raw, chain = values.get("raw"), values.get("chain")
            if not isinstance(raw, str) or values.get("role") not in SEALED_ROLES:
                continue
            try:
                candidates = normalize(raw, chain if isinstance(chain, str) else None)  # type: ignore[arg-type]
            except InvalidValue:
                continue
            found |= {(c.chain, c.canonical) for c in candidates}
        return [RevealedWallet(chain=c, address=a) for c, a in sorted(found)]  # type: ignore[arg-type]


class DisclosureDecisions:
    """Coordinators' side of disclosure requests: about cases of their operations only."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.investigations = InvestigationRepository(session)
        self.operations = OperationRepository(session)
        self.cases = CaseRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    @staticmethod
    def _out(
        row: DisclosureRequest, investigation: Investigation, operation_id: uuid.UUID
    ) -> RequestForCoordinator:
        return RequestForCoordinator(
            id=row.id,
            case_id=row.case_id,
            operation_id=operation_id,
            investigation_id=investigation.id,
            investigation_title=investigation.title,
            investigation_purpose=investigation.purpose,
            legal_basis=investigation.legal_basis,
            reason=row.reason,
            status=row.status,  # type: ignore[arg-type]
            requested_at=row.requested_at,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
        )

    async def waiting(
        self, principal: Principal, *, status: str | None, limit: int, offset: int
    ) -> list[RequestForCoordinator]:
        """Requests about cases of the caller's operations (an audited read)."""
        scope = await self.operations.ids_for_member(principal.user_id)
        rows = await self.investigations.requests_for_operations(
            scope, status=status, limit=limit, offset=offset
        )
        self.audit.record(
            AuditEvent(
                action="disclosure_request.list",
                actor_id=principal.user_id,
                actor_role=principal.role,
                detail={"requests": len(rows)},
            )
        )
        return [self._out(r, i, o) for r, i, o in rows]

    async def decide(
        self, principal: Principal, request_id: uuid.UUID, *, approve: bool, note: str | None
    ) -> RequestForCoordinator:
        """Approve or refuse a pending request about a case of the caller's operations.

        Raises:
            NotFound: not a request about a case of the caller's operations (audited).
            Conflict: already decided.
        """
        scope = await self.operations.ids_for_member(principal.user_id)
        found = await self.investigations.request_in(request_id, operations=scope, for_update=True)
        row, operation_id = found if found is not None else (None, None)
        investigation = await self.investigations.get(row.investigation_id) if row else None
        if row is None or operation_id is None or investigation is None:
            raise refused(
                self.runtime,
                principal,
                N_("No such disclosure request about your operations' cases."),
                action="disclosure_request.decide",
                object_type="disclosure_request",
                object_id=request_id,
            )
        if row.status != "pending":
            raise Conflict(N_("This request was already decided."))
        row.status = "approved" if approve else "refused"
        if approve:
            # What the approval reveals, fixed now: the case's own records as they stand.
            for record_id, rev in await LinkageRepository(self.session).sealed_records(row.case_id):
                self.investigations.add_approved(
                    ApprovedRecord(request_id=row.id, record_id=record_id, rev=rev)
                )
        row.decided_by = principal.user_id
        row.decided_at = utcnow()
        row.decision_note = note
        self.audit.record(
            AuditEvent(
                action="disclosure_request.decide",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="disclosure_request",
                object_id=str(row.id),
                detail={"decision": row.status, "investigation": str(investigation.id)},
            )
        )
        return self._out(row, investigation, operation_id)

    async def legal_basis(
        self, principal: Principal, case_id: uuid.UUID, *, basis: str | None
    ) -> None:
        """Record (or remove) a legal basis, other than consent, for a case of the caller's operations.

        With one, the case's disclosures reach investigators even without
        consent (its own wallets still only through an approved request).

        Raises:
            NotFound: not a case of the caller's operations (audited).
        """
        scope = await self.operations.ids_for_member(principal.user_id)
        if await self.cases.case_in(case_id, scope) is None:
            raise refused(
                self.runtime,
                principal,
                N_("No such case among your operations."),
                action="linkage.legal_basis",
                object_type="case",
                object_id=case_id,
            )
        await set_legal_basis(self.session, case_id, basis)
        self.audit.record(
            AuditEvent(
                action="linkage.legal_basis",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="case",
                object_id=str(case_id),
                detail={"recorded": basis is not None},
            )
        )
