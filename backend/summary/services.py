"""The operation summary: consented cases counted, then protected by ``backend.statistics``.

Each table is one partition of the counted cases (every case falls under
exactly one label, "not recorded" included), so its total is the number of
cases counted: band, age group, nationality, the referral status furthest
along, and one table per flag (with / without). The tables are built from
readable facets only; nationality from its keyed blind index, matched
against the index of every ISO 3166 code. Nothing is decrypted. Band and
flags are the *shared* ones (``backend.screenings.protected``): a published
count never rests on an answer the person was promised would not be used
against them.
"""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.cases.repositories import CaseRepository
from backend.cases.schemas import CaseLine
from backend.cases.services import CaseService
from backend.consent.services import ConsentService
from backend.i18n import N_
from backend.operations.countries import ISO_3166_ALPHA_2
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime
from backend.screenings.protected import shared_by_case
from backend.statistics import DEFAULT_K, OneWayTable, ProtectedOneWayTable, protect, to_csv
from backend.summary.schemas import Summary, SummaryTable
from backend.sync.facets import nationality_tag

__all__ = ["SummaryService", "summary_csv"]

NOT_RECORDED = "not_recorded"
BANDS = ("strong_indicators", "some_indicators", "insufficient_information", NOT_RECORDED)
AGE_GROUPS = ("child", "adult", "unknown")
FLAGS = ("child", "immediate_needs", "forced_criminality")
#: A case's referral status is that of its referral furthest along.
REFERRAL_ORDER = ("completed", "in_progress", "accepted", "proposed", "declined")
REFERRAL_LABELS = (*REFERRAL_ORDER, "no_referral")


def _referral_status(line: CaseLine) -> str:
    return next((s for s in REFERRAL_ORDER if s in line.referral_statuses), "no_referral")


def _table(
    name: str, labels: tuple[str, ...], counted: Counter[str]
) -> tuple[str, ProtectedOneWayTable]:
    return name, protect(OneWayTable(labels=labels, counts=[counted[label] for label in labels]))


def summary_csv(tables: list[tuple[str, ProtectedOneWayTable]]) -> str:
    """Every table as CSV, one after another, separated by an empty line."""
    return "\r\n".join(to_csv(table, heading=name) for name, table in tables)


class SummaryService:
    """Protected counts for coordinators of an operation."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.cases = CaseRepository(session)
        self.operations = OperationRepository(session)
        self.consent = ConsentService(session)
        self.audit = AuditLog(session, runtime.keyring)

    def _nationalities(self) -> dict[str, str]:
        return {nationality_tag(self.runtime.keyring, code): code for code in ISO_3166_ALPHA_2}

    async def tables(
        self, principal: Principal, operation_id: uuid.UUID, *, export: str
    ) -> list[tuple[str, ProtectedOneWayTable]]:
        """The protected tables of an operation the caller belongs to; audited.

        Raises:
            NotFound: not an operation of the caller's (audited).
        """
        if operation_id not in set(await self.operations.ids_for_member(principal.user_id)):
            raise refused_as_not_found(
                N_("No such operation among yours."),
                keyring=self.runtime.keyring,
                action="operation.summary",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="operation",
                object_id=operation_id,
            )
        records = await self.cases.triage_records([operation_id])
        lines = CaseService.triage_lines(
            records, await self.consent.states({r.case_id for r in records})
        )
        shared = shared_by_case(records)
        consented = await self.consent.consented_cases(
            [line.id for line, _ in lines], "aggregate_statistics"
        )
        counted = [(line, facets) for line, facets in lines if line.id in consented]
        names = self._nationalities()
        nationalities: Counter[str] = Counter(
            names.get(str(facets.get("nationality_tag")), NOT_RECORDED) for _, facets in counted
        )
        tables = [
            _table(
                "band",
                BANDS,
                Counter(
                    shared.get(line.id, (None, set()))[0] or NOT_RECORDED for line, _ in counted
                ),
            ),
            _table("age_group", AGE_GROUPS, Counter(line.age_group for line, _ in counted)),
            _table(
                "nationality",
                (*sorted(set(nationalities) - {NOT_RECORDED}), NOT_RECORDED),
                nationalities,
            ),
            _table(
                "referral_status",
                REFERRAL_LABELS,
                Counter(_referral_status(line) for line, _ in counted),
            ),
        ]
        for flag in FLAGS:
            with_flag = Counter(
                "with_flag" if flag in shared.get(line.id, (None, set()))[1] else "without_flag"
                for line, _ in counted
            )
            tables.append(_table(f"flag_{flag}", ("with_flag", "without_flag"), with_flag))
        self.audit.record(
            AuditEvent(
                action="operation.summary",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="operation",
                object_id=str(operation_id),
                detail={"format": export, "purpose": "aggregate_statistics"},
            )
        )
        return tables

    async def summary(self, principal: Principal, operation_id: uuid.UUID) -> Summary:
        """The summary as JSON."""
        tables = await self.tables(principal, operation_id, export="json")
        return Summary(
            operation_id=operation_id,
            k=DEFAULT_K,
            tables=[
                SummaryTable(
                    name=name,
                    labels=list(table.labels),
                    counts=[cell.value for cell in table.cells],
                    total=table.total.value,
                )
                for name, table in tables
            ],
        )
