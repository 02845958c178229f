"""Disclosure requests: investigators ask about a case reference; coordinators decide.

Both sides call the investigations services with the API's input Structs;
the coordinator sees the request's investigation, purpose and legal basis,
the investigator only the state of the request and, once approved, what it
revealed.
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
from backend.investigations.disclosures import DisclosureDecisions
from backend.investigations.schemas import DecisionIn, DisclosureRequestIn
from backend.investigations.services import InvestigationService

__all__ = ["HANDLERS"]

_API_ONE = "/api/v1/investigations/{investigation_id:uuid}"


def _convert(raw: dict[str, Any], into: type[Any]) -> Any:
    try:
        return msgspec.convert(raw, into)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = text.rpartition("$.")[2].rstrip("`") if "$." in text else "$"
        raise ValidationFailed(
            errors=[FieldError(field=field, reason=text.partition(" - ")[0], location="body")]
        ) from None


@get(
    "/investigations/{investigation_id:uuid}/requests",
    guards=[allow(Role.INVESTIGATOR)],
    opt={**READS, "api": ("GET", _API_ONE + "/disclosure-requests")},
    name="console.disclosure_requests",
)
async def requests(
    request: Request[Any, Any, Any],
    investigation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """The investigation's requests and their state; the form to ask about a case reference."""
    service = InvestigationService(db_session, runtime)
    one = await service.one(principal, investigation_id)
    found = await service.requests(principal, investigation_id, limit=200, offset=0)
    case_ref = (request.query_params.get("case_ref") or "")[:64]
    return page(request, "requests.html", investigation=one, requests=found, case_ref=case_ref)


@post(
    "/investigations/{investigation_id:uuid}/requests",
    guards=[allow(Role.INVESTIGATOR)],
    opt={**WRITES, "api": ("POST", _API_ONE + "/disclosure-requests")},
    name="console.request_disclosure",
    status_code=303,
)
async def request_disclosure(
    request: Request[Any, Any, Any],
    investigation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Ask a coordinator of the case's operation to disclose more about one case reference."""
    form = await request.form()
    raw = {"case_ref": str(form.get("case_ref") or ""), "reason": str(form.get("reason") or "")}
    data = _convert(raw, DisclosureRequestIn)
    await InvestigationService(db_session, runtime).request_disclosure(
        principal, investigation_id, case_ref=data.case_ref, reason=data.reason
    )
    return redirect(f"{CONSOLE_PATH}/investigations/{investigation_id}/requests")


@get(
    "/disclosure-requests",
    guards=[allow(Role.COORDINATOR)],
    opt={**READS, "api": ("GET", "/api/v1/disclosure-requests")},
    name="console.waiting_requests",
)
async def waiting(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Requests about cases of the caller's operations, pending first."""
    found = await DisclosureDecisions(db_session, runtime).waiting(
        principal, status=None, limit=200, offset=0
    )
    found.sort(key=lambda r: (r.status != "pending", r.requested_at))
    return page(request, "decisions.html", requests=found)


@post(
    "/disclosure-requests/{request_id:uuid}/decide",
    guards=[allow(Role.COORDINATOR)],
    opt={**WRITES, "api": ("POST", "/api/v1/disclosure-requests/{request_id:uuid}/decide")},
    name="console.decide_request",
    status_code=303,
)
async def decide(
    request: Request[Any, Any, Any],
    request_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Approve or refuse, with the consent on record in mind (the case opens on its page)."""
    form = await request.form()
    raw: dict[str, Any] = {"decision": str(form.get("decision") or "")}
    if str(form.get("note") or "").strip():
        raw["note"] = str(form.get("note")).strip()
    data = _convert(raw, DecisionIn)
    await DisclosureDecisions(db_session, runtime).decide(
        principal, request_id, approve=data.decision == "approve", note=data.note
    )
    return redirect(f"{CONSOLE_PATH}/disclosure-requests")


HANDLERS = [requests, request_disclosure, waiting, decide]
