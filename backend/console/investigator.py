"""Investigators' pages: investigations (list, open), address lookup, exports.

The pages show exactly what :class:`InvestigationService` returns to the API:
case references and wallet data under the same consent rules, never a name.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from backend.access.guards import allow
from backend.access.roles import Role
from backend.console.glue import CONSOLE_PATH, page, redirect
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.errors import FieldError, ValidationFailed
from backend.investigations.schemas import InvestigationIn
from backend.investigations.services import InvestigationService
from backend.linkage.services import normalize_address

__all__ = ["HANDLERS"]

INVESTIGATOR = allow(Role.INVESTIGATOR)
_ONE = "/investigations/{investigation_id:uuid}"
_API_ONE = "/api/v1/investigations/{investigation_id:uuid}"


@get(
    "/investigations",
    guards=[INVESTIGATOR],
    opt={**READS, "api": ("GET", "/api/v1/investigations")},
    name="console.investigations",
)
async def investigations(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """The caller's investigations, and the form to open one."""
    mine = await InvestigationService(db_session, runtime).mine(principal, limit=200, offset=0)
    return page(request, "investigations.html", investigations=mine)


@post(
    "/investigations",
    guards=[INVESTIGATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/investigations")},
    name="console.open_investigation",
    status_code=303,
)
async def open_investigation(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Open an investigation; the API's input rules apply to the form."""
    form = await request.form()
    raw = {key: str(form.get(key) or "") for key in ("title", "purpose", "legal_basis")}
    try:
        data = msgspec.convert(raw, InvestigationIn)
    except msgspec.ValidationError as exc:
        field = str(exc).rpartition("$.")[2].rstrip("`") or "$"
        raise ValidationFailed(
            errors=[FieldError(field=field, reason="required, plain text", location="body")]
        ) from None
    opened = await InvestigationService(db_session, runtime).open(
        principal, title=data.title, purpose=data.purpose, legal_basis=data.legal_basis
    )
    return redirect(f"{CONSOLE_PATH}/investigations/{opened.id}")


@get(
    _ONE,
    guards=[INVESTIGATOR],
    opt={**READS, "api": ("GET", _API_ONE + "/addresses/{chain:str}/{address:str}")},
    name="console.investigation",
)
async def investigation(
    request: Request[Any, Any, Any],
    investigation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """One investigation: paste an address, see its chains, then its lookup."""
    service = InvestigationService(db_session, runtime)
    one = await service.one(principal, investigation_id)
    address = (request.query_params.get("address") or "").strip()[:200]
    chain = request.query_params.get("chain") or None
    candidates: list[Any] = []
    lookup = None
    if address:
        candidates = normalize_address(address, None)
        chosen = [c for c in candidates if c.chain == chain] if chain else []
        if chain and not chosen:
            raise ValidationFailed(
                errors=[
                    FieldError(
                        field="chain", reason="a chain the address is valid on", location="query"
                    )
                ]
            )
        if len(candidates) == 1 and not chosen:
            chosen = candidates
        if chosen:
            lookup = await service.lookup(
                principal, investigation_id, chosen[0].chain, chosen[0].canonical, limit=100
            )
    return page(
        request,
        "investigation.html",
        investigation=one,
        address=address,
        candidates=candidates,
        lookup=lookup,
    )


@get(
    _ONE + "/exports/{export_format:str}",
    guards=[INVESTIGATOR],
    opt={**READS, "api": ("GET", _API_ONE + "/exports/{export_format:str}")},
    name="console.export",
)
async def export(
    investigation_id: FromPath[uuid.UUID],
    export_format: FromPath[str],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[str]:
    """The TagPack (YAML) or CSV download of the investigation."""
    service = InvestigationService(db_session, runtime)
    if export_format == "tagpack.yaml":
        body, media = await service.tagpack(principal, investigation_id), "application/yaml"
    elif export_format == "links.csv":
        body, media = await service.csv(principal, investigation_id), "text/csv"
    else:
        raise ValidationFailed(
            errors=[
                FieldError(
                    field="export_format", reason="tagpack.yaml or links.csv", location="path"
                )
            ]
        )
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{export_format}"'},
    )


HANDLERS = [investigations, open_investigation, investigation, export]
