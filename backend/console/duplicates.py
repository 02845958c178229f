"""Possible duplicates side by side: the two cases, how their encodings agree; link or dismiss.

Only what :class:`DuplicateService` gives the API is shown (case codes and
the agreement of the keyed encodings, no identity field); each case opens on
its own page, where the read is audited with its purpose.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from backend.access.guards import allow
from backend.access.roles import Role
from backend.console.glue import CONSOLE_PATH, page, redirect
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.duplicates.services import DuplicateService
from backend.errors import FieldError, ValidationFailed
from backend.operations.services import OperationService

__all__ = ["HANDLERS"]

COORDINATOR = allow(Role.COORDINATOR)
_ONE = "/api/v1/duplicates/{proposal_id:uuid}"


@get(
    "/operations/{operation_id:uuid}/duplicates",
    guards=[COORDINATOR],
    opt={**READS, "api": ("GET", "/api/v1/duplicates")},
    name="console.duplicates",
)
async def duplicates(
    request: Request[Any, Any, Any],
    operation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Open proposals touching one of the caller's operations, best first."""
    operation = await OperationService(db_session, runtime).get(principal, operation_id)
    pairs = await DuplicateService(db_session, runtime).list(
        principal, operation_id=operation_id, status="open", limit=100, offset=0
    )
    return page(request, "duplicates.html", operation=operation, pairs=pairs)


@post(
    "/duplicates/{proposal_id:uuid}/{decision:str}",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", _ONE + "/merge")},
    name="console.decide_duplicate",
    status_code=303,
)
async def decide(
    request: Request[Any, Any, Any],
    proposal_id: FromPath[uuid.UUID],
    decision: FromPath[str],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Link the two cases as one person (one of them primary), or dismiss the pair."""
    service = DuplicateService(db_session, runtime)
    form = await request.form()
    if decision == "merge":
        try:
            primary = uuid.UUID(str(form.get("primary") or ""))
        except ValueError:
            raise ValidationFailed(
                errors=[FieldError(field="primary", reason="one of the two cases", location="body")]
            ) from None
        decided = await service.merge(principal, proposal_id, primary_case_id=primary)
    elif decision == "dismiss":
        decided = await service.dismiss(principal, proposal_id)
    else:
        raise ValidationFailed(
            errors=[FieldError(field="decision", reason="merge or dismiss", location="path")]
        )
    return redirect(f"{CONSOLE_PATH}/operations/{decided.left.operation_id}/duplicates")


HANDLERS = [duplicates, decide]
