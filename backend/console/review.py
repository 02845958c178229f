"""Sync conflicts and quarantine: both values side by side, the coordinator keeps one.

The one import from ``backend.sync`` is the review service the API's sync
routes call (its module may move when sync is split; only that line follows).
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
from backend.errors import FieldError, ValidationFailed
from backend.sync.review import ReviewService

__all__ = ["HANDLERS"]

COORDINATOR = allow(Role.COORDINATOR)


@get(
    "/review",
    guards=[COORDINATOR],
    opt={**READS, "api": ("GET", "/api/v1/sync/conflicts")},
    name="console.review",
)
async def review(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Open conflicts (the server's value and the device's) and open quarantined changes."""
    service = ReviewService(db_session, runtime)
    conflicts = await service.conflicts(principal, status="open", limit=100, offset=0)
    quarantined = await service.quarantine(principal, status="open", limit=100, offset=0)
    return page(request, "review.html", conflicts=conflicts, quarantined=quarantined)


@post(
    "/review/conflicts/{conflict_id:uuid}",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/sync/conflicts/{conflict_id:uuid}/resolve")},
    name="console.resolve_conflict",
    status_code=303,
)
async def resolve(
    request: Request[Any, Any, Any],
    conflict_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Keep the server's value, or take the device's."""
    keep = str((await request.form()).get("keep") or "")
    if keep not in {"server", "device"}:
        raise ValidationFailed(
            errors=[FieldError(field="keep", reason="server or device", location="body")]
        )
    await ReviewService(db_session, runtime).resolve_conflict(principal, conflict_id, keep=keep)
    return redirect(f"{CONSOLE_PATH}/review")


@post(
    "/review/quarantine/{item_id:uuid}",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/sync/quarantine/{item_id:uuid}/resolve")},
    name="console.dismiss_quarantined",
    status_code=303,
)
async def dismiss(
    item_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Dismiss a quarantined change once its content has been dealt with."""
    await ReviewService(db_session, runtime).dismiss(principal, item_id)
    return redirect(f"{CONSOLE_PATH}/review")


HANDLERS = [review, resolve, dismiss]
