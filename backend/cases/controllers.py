"""HTTP handlers for ``/api/v1/cases`` (coordinators): triage, the case, erasure, closure."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, delete, get, post
from litestar.params import FromPath, FromQuery, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.cases.schemas import CaseDetail, CaseLine
from backend.cases.services import CaseFilter, CaseService
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.erasure.schemas import ClosureOut, ErasureOut, ErasureReason
from backend.erasure.services import ErasureService
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["CaseController"]

Band = Literal["strong_indicators", "some_indicators", "insufficient_information"]
Flag = Literal["child", "immediate_needs", "forced_criminality"]
ReferralStatus = Literal["proposed", "accepted", "in_progress", "completed", "declined"]
Purpose = Literal[
    "services", "financial_investigation", "prosecution_evidence", "aggregate_statistics"
]
ConsentState = Literal["given", "refused", "withdrawn"]
AgeGroup = Literal["child", "adult", "unknown"]


class CaseController(Controller):
    """Triage and the decrypted case, for coordinators of the case's operation."""

    path = "/api/v1/cases"
    tags = ["cases"]
    guards = [allow(Role.COORDINATOR)]

    @get(
        "/",
        opt=READS,
        summary="Triage: cases of my operations, most urgent first",
        description=(
            "No identity field is listed, only what triage sorts and filters on. A child with "
            "immediate needs comes first, then immediate needs, children, forced criminality, "
            "then by band. The search is audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def triage(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        operation_id: FromQuery[uuid.UUID | None] = None,
        band: FromQuery[Band | None] = None,
        flag: FromQuery[Flag | None] = None,
        referral_status: FromQuery[ReferralStatus | None] = None,
        consent_purpose: FromQuery[Purpose | None] = None,
        consent_state: FromQuery[ConsentState | None] = None,
        nationality: Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z]{2}$")] = None,
        age_group: FromQuery[AgeGroup | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[CaseLine]:
        where = CaseFilter(
            operation_id=operation_id,
            band=band,
            flag=flag,
            referral_status=referral_status,
            consent_purpose=consent_purpose,
            consent_state=consent_state,
            nationality=nationality,
            age_group=age_group,
        )
        return await CaseService(db_session, runtime).triage(
            principal, where, limit=limit, offset=offset
        )

    @get(
        "/{case_id:uuid}",
        opt=READS,
        summary="One case, decrypted, with its records, conflicts and quarantine",
        description="Opening a case is recorded in the audit log with the purpose given.",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def open_case(
        self,
        case_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        purpose: FromQuery[Literal["triage", "referral", "follow_up", "review"]] = "review",
    ) -> CaseDetail:
        return await CaseService(db_session, runtime).open(principal, case_id, purpose=purpose)

    @delete(
        "/{case_id:uuid}",
        opt=WRITES,
        status_code=200,
        summary="Erase a case: destroy its data key, leave tombstones, purge it from phones",
        description=(
            "The reason is a code in the query string (`?reason=person_request`), never free "
            "text. Every record of the case becomes a tombstone, its data key is destroyed "
            "(crypto-shredding) and phones drop the case on their next pull. Audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def erase(
        self,
        case_id: FromPath[uuid.UUID],
        reason: FromQuery[ErasureReason],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ErasureOut:
        return await ErasureService(db_session, runtime).erase(principal, case_id, reason=reason)

    @post(
        "/{case_id:uuid}/close",
        opt=WRITES,
        status_code=200,
        summary="Close a case: retention counts from now",
        description=(
            "Closing again keeps the first closure date. `lantern retention run --apply` erases "
            "cases closed longer ago than the retention setting."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def close(
        self,
        case_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ClosureOut:
        return await ErasureService(db_session, runtime).close(principal, case_id)
