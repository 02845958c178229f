"""Operations: the list, an operation's members (with their devices), its protected summary.

The summary's counts are :class:`SummaryService`'s, suppressed exactly as the
API's (a suppressed count is shown as such, never as zero); the chart is a
bar per label drawn on the server, each bar labelled with its count.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from backend.access.guards import allow
from backend.access.roles import Role
from backend.console.glue import page
from backend.db.session import READS
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.operations.services import OperationService
from backend.summary.services import SummaryService, summary_csv

__all__ = ["HANDLERS"]

_OP = "/api/v1/operations/{operation_id:uuid}"
BAR_WIDTH = 320


@get(
    "/operations",
    guards=[allow(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)],
    opt={**READS, "api": ("GET", "/api/v1/operations")},
    name="console.operations",
)
async def operations(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """The caller's operations (every operation for an admin: names and sites only)."""
    found = await OperationService(db_session, runtime).list_visible(principal, limit=500)
    return page(request, "operations.html", operations=found)


@get(
    "/operations/{operation_id:uuid}/members",
    guards=[allow(Role.COORDINATOR)],
    opt={**READS, "api": ("GET", _OP + "/members")},
    name="console.members",
)
async def members(
    request: Request[Any, Any, Any],
    operation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Members of one of the caller's operations, each with a link to their devices."""
    service = OperationService(db_session, runtime)
    operation = await service.get(principal, operation_id)
    found = await service.members(principal, operation_id)
    return page(request, "members.html", operation=operation, members=found)


def _bars(counts: list[int | None]) -> list[int]:
    largest = max((c for c in counts if c), default=0)
    return [round(BAR_WIDTH * (c or 0) / largest) if largest else 0 for c in counts]


@get(
    "/operations/{operation_id:uuid}/summary",
    guards=[allow(Role.COORDINATOR)],
    opt={**READS, "api": ("GET", _OP + "/summary")},
    name="console.summary",
)
async def summary(
    request: Request[Any, Any, Any],
    operation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """The protected summary as tables and bar charts; ``?format=csv`` downloads it."""
    service = SummaryService(db_session, runtime)
    if request.query_params.get("format") == "csv":
        _, tables = await service.tables(principal, operation_id, export="csv")
        return Response(
            summary_csv(tables),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="summary.csv"'},
        )
    found = await service.summary(principal, operation_id)
    charts = [(table, _bars(table.counts)) for table in found.tables]
    return page(request, "summary.html", summary=found, charts=charts, width=BAR_WIDTH)


HANDLERS = [operations, members, summary]
