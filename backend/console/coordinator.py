"""Coordinators' pages: triage (filters, total, paging), the case (purpose asked), closing, erasing.

Each handler admits the roles its API twin admits (``opt["api"]`` names it; a
test compares them) and calls the same service, which decides what is visible.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, get_args

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from backend.access.guards import allow
from backend.access.roles import Role
from backend.cases.services import CaseFilter, CaseService
from backend.console.glue import CONSOLE_PATH, page, redirect
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.directory.schemas import ServiceKind
from backend.directory.services import ProviderService
from backend.erasure.schemas import ErasureReason
from backend.erasure.services import ErasureService
from backend.errors import FieldError, ValidationFailed
from backend.i18n import N_
from backend.operations.services import OperationService
from backend.referrals.services import NEXT
from backend.transfers.services import TransferService

__all__ = ["HANDLERS", "PAGE_SIZE"]

PAGE_SIZE = 50
COORDINATOR = allow(Role.COORDINATOR)
#: The values each triage filter takes (the API's own vocabulary).
CHOICES: dict[str, tuple[str, ...]] = {
    "band": ("strong_indicators", "some_indicators", "insufficient_information"),
    "flag": ("child", "immediate_needs", "forced_criminality"),
    "referral_status": ("proposed", "accepted", "in_progress", "completed", "declined"),
    "consent_purpose": (
        "services",
        "financial_investigation",
        "prosecution_evidence",
        "aggregate_statistics",
    ),
    "consent_state": ("given", "refused", "withdrawn"),
    "age_group": ("child", "adult", "unknown"),
}
PURPOSES = ("triage", "referral", "follow_up", "review")
ERASURE_REASONS: tuple[str, ...] = get_args(ErasureReason)
SERVICES: tuple[str, ...] = get_args(ServiceKind)
#: Labels of the codes shown in the console (translated where shown).
LABELS = {
    "strong_indicators": N_("Strong indicators"),
    "some_indicators": N_("Some indicators"),
    "insufficient_information": N_("Insufficient information"),
    "child": N_("Child"),
    "immediate_needs": N_("Immediate needs"),
    "forced_criminality": N_("Forced criminality"),
    "adult": N_("Adult"),
    "unknown": N_("Unknown"),
    "triage": N_("Triage"),
    "referral": N_("Referral"),
    "follow_up": N_("Follow-up"),
    "review": N_("Review"),
}


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(errors=[FieldError(field=field, reason=reason, location="query")])


def _choice(request: Request[Any, Any, Any], name: str) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and value not in CHOICES[name]:
        raise _invalid(name, f"one of {', '.join(CHOICES[name])}")
    return value


def _operation(request: Request[Any, Any, Any]) -> uuid.UUID | None:
    value = request.query_params.get("operation") or None
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        raise _invalid("operation", "an operation id") from None


def _page_number(request: Request[Any, Any, Any]) -> int:
    raw = request.query_params.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 20_000:
        raise _invalid("page", "a page number from 1")
    return int(raw)


@get(
    "/cases",
    guards=[COORDINATOR],
    opt={**READS, "api": ("GET", "/api/v1/cases")},
    name="console.triage",
)
async def triage(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """The caller's cases, most urgent first, filtered, counted and paged."""
    chosen = {name: _choice(request, name) for name in CHOICES}
    nationality = (request.query_params.get("nationality") or "").strip() or None
    if nationality is not None and not (len(nationality) == 2 and nationality.isalpha()):
        raise _invalid("nationality", "a two-letter country code")
    where = CaseFilter(operation_id=_operation(request), nationality=nationality, **chosen)
    number = _page_number(request)
    lines, total = await CaseService(db_session, runtime).triage_counted(
        principal, where, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    operations = await OperationService(db_session, runtime).list_visible(principal, limit=500)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    kept = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return page(
        request,
        "triage.html",
        lines=lines,
        total=total,
        number=number,
        pages=pages,
        kept=kept,
        choices=CHOICES,
        chosen={
            **chosen,
            "nationality": nationality or "",
            "operation": str(where.operation_id or ""),
        },
        labels=LABELS,
        operations={op.id: op.name for op in operations},
    )


@get(
    "/cases/{case_id:uuid}",
    guards=[COORDINATOR],
    opt={**READS, "api": ("GET", "/api/v1/cases/{case_id:uuid}")},
    name="console.case",
)
async def case(
    request: Request[Any, Any, Any],
    case_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """The case: first the purpose of the read is asked; the read is audited with it."""
    purpose = request.query_params.get("purpose")
    if purpose is None:
        return page(request, "purpose.html", case_id=case_id, purposes=PURPOSES, labels=LABELS)
    if purpose not in PURPOSES:
        raise _invalid("purpose", f"one of {', '.join(PURPOSES)}")
    detail = await CaseService(db_session, runtime).open(principal, case_id, purpose=purpose)
    own = str((detail.case.data or {}).get("operation_id", ""))
    destinations = await TransferService(db_session, runtime).destinations()
    providers = await ProviderService(db_session, runtime).search(
        country=None, kind=None, active=True, limit=200, offset=0
    )
    return page(
        request,
        "case.html",
        case_id=case_id,
        detail=detail,
        labels=LABELS,
        reasons=ERASURE_REASONS,
        purpose=purpose,
        services=SERVICES,
        providers=providers,
        next_steps={status: sorted(steps) for status, steps in NEXT.items()},
        destinations=[d for d in destinations if str(d.id) != own],
        done=request.query_params.get("done", ""),
    )


@post(
    "/cases/{case_id:uuid}/close",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/cases/{case_id:uuid}/close")},
    name="console.close",
    status_code=303,
)
async def close(
    case_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Close the case: retention counts from now."""
    await ErasureService(db_session, runtime).close(principal, case_id)
    return redirect(f"{CONSOLE_PATH}/cases/{case_id}?purpose=review")


@post(
    "/cases/{case_id:uuid}/erase",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("DELETE", "/api/v1/cases/{case_id:uuid}")},
    name="console.erase",
    status_code=303,
)
async def erase(
    request: Request[Any, Any, Any],
    case_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Erase the case, with a reason code, once the coordinator confirmed it cannot be undone."""
    form = await request.form()
    reason = str(form.get("reason") or "")
    errors = []
    if reason not in ERASURE_REASONS:
        errors.append(FieldError(field="reason", reason="choose a reason", location="body"))
    if form.get("confirm") != "yes":
        errors.append(
            FieldError(
                field="confirm", reason="confirm that this cannot be undone", location="body"
            )
        )
    if errors:
        raise ValidationFailed(N_("The case was not erased."), errors=errors)
    await ErasureService(db_session, runtime).erase(principal, case_id, reason=reason)  # type: ignore[arg-type]
    return redirect(f"{CONSOLE_PATH}/cases?erased=1")


HANDLERS = [triage, case, close, erase]
