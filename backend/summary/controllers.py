"""HTTP handler for ``/api/v1/operations/{id}/summary`` (coordinators of the operation)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.session import READS
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses
from backend.summary.schemas import Summary
from backend.summary.services import SummaryService, summary_csv

__all__ = ["SummaryController"]

CSV = "text/csv"


class SummaryController(Controller):
    """Protected counts of an operation's consented cases."""

    path = "/api/v1/operations"
    tags = ["operations"]
    guards = [allow(Role.COORDINATOR)]

    @get(
        "/{operation_id:uuid}/summary",
        opt={**READS, "media_types": ("application/json", CSV)},
        summary="Counts by band, flag, nationality, age group and referral status, protected",
        description=(
            "Only cases with `aggregate_statistics` consent in force are counted. Counts from "
            "1 to 4 are suppressed (totals too), with complementary suppression and an "
            "attacker's linear-programming audit over all the tables together (see "
            "docs/statistics.md); suppressed counts are `null` (JSON) or `[c]` (CSV). Labels are "
            "fixed. New counts are released only when every count moved by 0 or at least 5 "
            "against every earlier release to the operation's coordinators; until then the "
            "latest release is served (`released_at`), or every count is suppressed if it "
            "counted someone no longer counted. `?format=csv` or `Accept: text/csv` gives the "
            "CSV export. Audited."
        ),
        responses={
            **problem_responses(*AUTHENTICATED_PROBLEMS, 404),
            200: ResponseSpec(
                data_container=Summary,
                description="The protected tables (JSON), or the same as CSV.",
            ),
        },
    )
    async def summary(
        self,
        request: Request[Any, Any, Any],
        operation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        format: FromQuery[Literal["json", "csv"] | None] = None,
    ) -> Response[Summary | str]:
        service = SummaryService(db_session, runtime)
        wants_csv = format == "csv" or (
            format is None and CSV in request.headers.get("accept", "").lower()
        )
        if wants_csv:
            _, tables = await service.tables(principal, operation_id, export="csv")
            return Response(
                summary_csv(tables),
                media_type=CSV,  # Litestar adds "; charset=utf-8" to every text/ type
                headers={"Content-Disposition": 'attachment; filename="summary.csv"'},
            )
        return Response(await service.summary(principal, operation_id))
