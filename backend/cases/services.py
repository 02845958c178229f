"""Triage and the decrypted case for coordinators; every read goes through the vault and is audited.

A coordinator sees the cases of the operations they belong to, nothing else.
The triage list is built from readable facets only (no decryption); opening a
case decrypts it under its data key and is recorded in the audit log with who,
which role, why (``purpose``) and which case.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.cases.repositories import CaseRepository, TriageQuery
from backend.cases.schemas import CaseDetail, CaseLine, ConflictRef, QuarantineRef, RecordOut
from backend.cases.triage import FacetRow, triage_facts, urgency
from backend.consent.repositories import ConsentRepository
from backend.crypto.vault import SealedValueError, Vault, WrappedKey
from backend.db.models import Record
from backend.errors import NotFound
from backend.i18n import N_
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime
from backend.sync.facets import nationality_tags
from backend.sync.sealing import open_body

logger = logging.getLogger("lantern.cases")

__all__ = ["CaseFilter", "CaseService", "urgency"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseFilter:
    """What a coordinator narrows the triage list to; ``None`` matches everything."""

    operation_id: uuid.UUID | None = None
    band: str | None = None
    flag: str | None = None
    referral_status: str | None = None
    consent_purpose: str | None = None
    consent_state: str | None = None
    nationality: str | None = None
    age_group: str | None = None


class CaseService:
    """Cases of the caller's operations."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.cases = CaseRepository(session)
        self.consents = ConsentRepository(session)
        self.operations = OperationRepository(session)
        self.audit = AuditLog(session, runtime.keyring)
        self.vault = Vault(runtime.keyring)

    async def _scope(self, principal: Principal, operation_id: uuid.UUID | None) -> set[uuid.UUID]:
        mine = set(await self.operations.ids_for_member(principal.user_id))
        if operation_id is None:
            return mine
        if operation_id not in mine:
            raise self._refused(principal, "operation", operation_id, "case.list")
        return {operation_id}

    def _refused(
        self, principal: Principal, object_type: str, object_id: uuid.UUID, action: str
    ) -> NotFound:
        return refused_as_not_found(
            N_("No such case among your operations."),
            keyring=self.runtime.keyring,
            action=action,
            actor_id=principal.user_id,
            actor_role=principal.role,
            object_type=object_type,
            object_id=object_id,
        )

    async def coordinated_case(
        self, principal: Principal, case_id: uuid.UUID, *, action: str, lock: bool = False
    ) -> Record:
        """A live case of an operation the caller coordinates (locked with ``lock``).

        Raises:
            NotFound: not a live case of the caller's operations (the refusal is audited).
        """
        scope = await self._scope(principal, None)
        case = await self.cases.case_in(case_id, scope, for_update=lock)
        if case is None:
            raise self._refused(principal, "case", case_id, action)
        return case

    async def triage(
        self, principal: Principal, where: CaseFilter, *, limit: int, offset: int
    ) -> list[CaseLine]:
        """The caller's cases, most urgent first, filtered; the search is audited."""
        page, _ = await self.triage_counted(principal, where, limit=limit, offset=offset)
        return page

    async def triage_counted(
        self, principal: Principal, where: CaseFilter, *, limit: int, offset: int
    ) -> tuple[list[CaseLine], int]:
        """One page of :meth:`triage`, and how many cases match in all.

        Read from the triage projection in SQL (filters, order, page, count);
        no record, sealed or not, is read.
        """
        scope = await self._scope(principal, where.operation_id)
        query = TriageQuery(
            operations=scope,
            band=where.band,
            flag=where.flag,
            referral_status=where.referral_status,
            consent_purpose=where.consent_purpose,
            consent_state=where.consent_state if where.consent_purpose is not None else None,
            nationality_tags=(
                nationality_tags(self.runtime.keyring, where.nationality)
                if where.nationality
                else None
            ),
            age_group=where.age_group,
        )
        rows, total = await self.cases.triage_page(query, limit=limit, offset=offset)
        consents = await self.consents.states({row.case_id for row in rows})
        page = [
            CaseLine(
                id=row.case_id,
                operation_id=row.operation_id,
                case_code=row.case_code,
                age_group=row.age_group,
                band=row.band,  # type: ignore[arg-type]
                flags=[f for f in row.flags.split(",") if f],
                referral_statuses=[s for s in row.referral_statuses.split(",") if s],
                consents=dict(consents.get(row.case_id, {})),
                urgency=row.urgency,
                updated_at=row.updated_at,
            )
            for row in rows
        ]
        self.audit.record(
            AuditEvent(
                action="case.search",
                actor_id=principal.user_id,
                actor_role=principal.role,
                detail={
                    "purpose": "triage",
                    "results": len(page),
                    "filters": _filter_names(where),
                },
            )
        )
        return page, total

    @staticmethod
    def triage_lines(
        records: list[Record], consents: Mapping[uuid.UUID, Mapping[str, str]]
    ) -> list[tuple[CaseLine, dict[str, Any]]]:
        """One triage line per case of these records, with the case's facets.

        ``consents`` is the standing state per purpose of each case (the consent rule's answer).
        """
        facts = triage_facts(
            FacetRow(r.entity, r.case_id, r.operation_id, r.facets, r.updated_at) for r in records
        )
        return [
            (
                CaseLine(
                    id=f.case_id,
                    operation_id=f.operation_id,
                    case_code=f.case_facets.get("case_code"),
                    age_group=str(f.case_facets.get("age_group") or "unknown"),
                    band=f.band,  # type: ignore[arg-type]
                    flags=sorted(f.flags),
                    referral_statuses=list(f.referral_statuses),
                    consents=dict(consents.get(f.case_id, {})),
                    urgency=f.urgency,
                    updated_at=f.updated_at,
                ),
                f.case_facets,
            )
            for f in facts
        ]

    async def open(self, principal: Principal, case_id: uuid.UUID, *, purpose: str) -> CaseDetail:
        """The case decrypted, with its records, conflicts and quarantine; an audited read.

        Raises:
            NotFound: not a case of the caller's operations, or erased (audited).
        """
        scope = await self._scope(principal, None)
        case = await self.cases.case_in(case_id, scope)
        stored = await self.cases.data_key(case_id) if case is not None else None
        if case is None or stored is None:
            raise self._refused(principal, "case", case_id, "case.read")
        key = self.vault.unwrap(
            WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id), case_id
        )

        def out(record: Record) -> RecordOut:
            try:
                data: dict[str, Any] | None = open_body(key, record.id, record.body)
            except SealedValueError:
                # One altered row must not hide the rest of the case: it is shown as
                # unreadable, kept for inspection, and the operator is alerted.
                logger.error(
                    "record %s does not open under its case's key",
                    record.id,
                    extra={"event": "case.unreadable_record", "record_id": str(record.id)},
                )
                data = None
            return RecordOut(
                unreadable=data is None,
                id=record.id,
                entity=record.entity,
                rev=record.rev,
                data=data,
                facets=msgspec.json.decode(record.facets),
                created_by=record.created_by,
                updated_at=record.updated_at,
            )

        records = await self.cases.records_of_case(case_id)
        grouped: dict[str, list[RecordOut]] = defaultdict(list)
        for record in records:
            grouped[record.entity].append(out(record))
        conflicts = [
            ConflictRef(id=c.id, record_id=c.record_id, field=c.field, kind=c.kind, status=c.status)
            for c in await self.cases.conflicts_of_case(case_id)
        ]
        quarantine = [
            QuarantineRef(id=q.id, entity=q.entity, record_id=q.record_id, status=q.status)
            for q in await self.cases.quarantine_of_case(case_id)
        ]
        self.audit.record(
            AuditEvent(
                action="case.read",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="case",
                object_id=str(case_id),
                detail={"purpose": purpose, "records": len(records) + 1},
            )
        )
        return CaseDetail(
            case=out(case),
            screenings=grouped["screening"],
            consents=grouped["consent"],
            accounts=grouped["account"],
            disclosures=grouped["disclosure"],
            referrals=grouped["referral"],
            conflicts=conflicts,
            quarantine=quarantine,
        )


def _filter_names(where: CaseFilter) -> str:
    return ",".join(
        name
        for name in (
            "operation_id",
            "band",
            "flag",
            "referral_status",
            "consent_purpose",
            "consent_state",
            "nationality",
            "age_group",
        )
        if getattr(where, name) is not None
    )
