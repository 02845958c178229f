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

Every table has a fixed label set (a nationality outside ``NATIONALITIES``
counts as ``other``), so a label's presence says nothing. The tables are
protected together (they share their total), and what the operation's
coordinators receive goes through the release ledger (``ledger.py``): new
counts are released only when no count moved by 1 to k - 1 against any
earlier release. See docs/statistics.md.
"""

from __future__ import annotations

import datetime as dt
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
from backend.statistics import DEFAULT_K, OneWayTable, ProtectedOneWayTable, to_csv
from backend.summary.ledger import released_tables
from backend.summary.schemas import Summary, SummaryTable
from backend.sync.facets import nationality_tags

__all__ = ["SummaryService", "summary_csv"]

NOT_RECORDED = "not_recorded"
BANDS = ("strong_indicators", "some_indicators", "insufficient_information", NOT_RECORDED)
AGE_GROUPS = ("child", "adult", "unknown")
FLAGS = ("child", "immediate_needs", "forced_criminality")
#: A case's referral status is that of its referral furthest along.
REFERRAL_ORDER = ("completed", "in_progress", "accepted", "proposed", "declined")
REFERRAL_LABELS = (*REFERRAL_ORDER, "no_referral")
OTHER = "other"
#: The nationalities listed by name, whatever the data: those most often met in
#: scam compounds. Any other counts as ``other``. Fixed, so that a label never
#: appears because someone has it; changing it starts a new label set, which
#: is compared with earlier releases term by term like any other change.
NATIONALITIES = ("CN", "ID", "IN", "KE", "KH", "LA", "LK", "MM", "MY", "PH", "TH", "TW", "VN")
NATIONALITY_LABELS = (*NATIONALITIES, OTHER, NOT_RECORDED)

Tables = list[tuple[str, ProtectedOneWayTable]]


def _referral_status(line: CaseLine) -> str:
    return next((s for s in REFERRAL_ORDER if s in line.referral_statuses), "no_referral")


def _table(name: str, labels: tuple[str, ...], counted: Counter[str]) -> tuple[str, OneWayTable]:
    return name, OneWayTable(labels=labels, counts=[counted[label] for label in labels])


def _nationality(code: str | None) -> str:
    if code is None:
        return NOT_RECORDED
    return code if code in NATIONALITIES else OTHER


def summary_csv(tables: Tables) -> str:
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
        return {
            tag: code
            for code in ISO_3166_ALPHA_2
            for tag in nationality_tags(self.runtime.keyring, code)
        }

    async def tables(
        self, principal: Principal, operation_id: uuid.UUID, *, export: str
    ) -> tuple[dt.datetime | None, Tables]:
        """The protected tables released to the operation's coordinators, and when; audited.

        The current counts when they may be released (``ReleaseLedger``),
        else the latest release again, else every count hidden and no time
        (the latest release counted someone who may no longer be counted).

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
            _nationality(names.get(str(facets.get("nationality_tag")))) for _, facets in counted
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
            _table("nationality", NATIONALITY_LABELS, nationalities),
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
        release = await released_tables(
            self.runtime.db,
            f"operation:{operation_id}",
            tables,
            cases=[line.id for line, _ in counted],
            k=DEFAULT_K,
        )
        self.audit.record(
            AuditEvent(
                action="operation.summary",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="operation",
                object_id=str(operation_id),
                detail={
                    "format": export,
                    "purpose": "aggregate_statistics",
                    "release": release.seq,
                },
            )
        )
        return release.released_at, release.tables

    async def summary(self, principal: Principal, operation_id: uuid.UUID) -> Summary:
        """The summary as JSON."""
        released_at, tables = await self.tables(principal, operation_id, export="json")
        return Summary(
            operation_id=operation_id,
            k=DEFAULT_K,
            released_at=released_at,
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
