"""Coordinators' casework forms: referrals (create, move), transfers by operation name.

Each form posts to a handler that admits the roles of its API twin and calls
the same service with the API's own input Struct, so the same rules (the
workflow, consent for outside providers, one pending transfer) apply.
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
from backend.operations.services import OperationService
from backend.referrals.schemas import ReferralCreate, Transition
from backend.referrals.services import ReferralService
from backend.transfers.schemas import TransferCreate
from backend.transfers.services import TransferService

__all__ = ["HANDLERS"]

COORDINATOR = allow(Role.COORDINATOR)


def _convert(raw: dict[str, Any], into: type[Any]) -> Any:
    """The form's fields as the API's input Struct; a refusal names the field."""
    try:
        return msgspec.convert(raw, into, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = text.rpartition("$.")[2].rstrip("`") if "$." in text else "$"
        raise ValidationFailed(
            errors=[FieldError(field=field, reason=text.partition(" - ")[0], location="body")]
        ) from None


def _case_page(case_id: uuid.UUID, purpose: str = "referral", **flag: str) -> str:
    extra = "".join(f"&{key}={value}" for key, value in flag.items())
    return f"{CONSOLE_PATH}/cases/{case_id}?purpose={purpose}{extra}"


@post(
    "/cases/{case_id:uuid}/referrals",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/cases/{case_id:uuid}/referrals")},
    name="console.create_referral",
    status_code=303,
)
async def create_referral(
    request: Request[Any, Any, Any],
    case_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Propose a referral, to a provider of the directory or not yet to one."""
    form = await request.form()
    raw: dict[str, Any] = {"service": str(form.get("service") or "")}
    if form.get("provider_id"):
        raw["provider_id"] = str(form.get("provider_id"))
    if str(form.get("note") or "").strip():
        raw["note"] = str(form.get("note")).strip()
    data = _convert(raw, ReferralCreate)
    await ReferralService(db_session, runtime).create(principal, case_id, data)
    return redirect(_case_page(case_id, done="referral"))


@post(
    "/referrals/{referral_id:uuid}/move",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/referrals/{referral_id:uuid}/transitions")},
    name="console.move_referral",
    status_code=303,
)
async def move_referral(
    request: Request[Any, Any, Any],
    referral_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Move a referral one step; a referral changed since the page was shown is refused."""
    form = await request.form()
    raw: dict[str, Any] = {"status": str(form.get("status") or "")}
    if str(form.get("rev") or "").isdigit():
        raw["rev"] = str(form.get("rev"))
    moved = await ReferralService(db_session, runtime).move(
        principal, referral_id, _convert(raw, Transition)
    )
    return redirect(_case_page(moved.case_id, done="moved"))


@post(
    "/cases/{case_id:uuid}/transfer",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/cases/{case_id:uuid}/transfers")},
    name="console.propose_transfer",
    status_code=303,
)
async def propose_transfer(
    request: Request[Any, Any, Any],
    case_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Offer the case to another operation, chosen by name."""
    form = await request.form()
    data = _convert({"to_operation": str(form.get("to_operation") or "")}, TransferCreate)
    await TransferService(db_session, runtime).propose(principal, case_id, data)
    return redirect(_case_page(case_id, "review", done="transfer"))


@get(
    "/transfers",
    guards=[COORDINATOR],
    opt={**READS, "api": ("GET", "/api/v1/transfers")},
    name="console.transfers",
)
async def transfers(
    request: Request[Any, Any, Any],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Pending transfers to and from the caller's operations, by operation name."""
    service = TransferService(db_session, runtime)
    pending = await service.listed(principal, direction=None, status="pending", limit=200, offset=0)
    mine = {o.id for o in await OperationService(db_session, runtime).list_visible(principal)}
    names = {d.id: d.name for d in await service.destinations()}
    return page(request, "transfers.html", pending=pending, names=names, mine=mine)


@post(
    "/transfers/{transfer_id:uuid}/{decision:str}",
    guards=[COORDINATOR],
    opt={**WRITES, "api": ("POST", "/api/v1/transfers/{transfer_id:uuid}/accept")},
    name="console.decide_transfer",
    status_code=303,
)
async def decide_transfer(
    transfer_id: FromPath[uuid.UUID],
    decision: FromPath[str],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Response[Any]:
    """Accept or decline a transfer offered to one of the caller's operations."""
    service = TransferService(db_session, runtime)
    if decision == "accept":
        await service.accept(principal, transfer_id)
    elif decision == "decline":
        await service.decline(principal, transfer_id)
    else:
        raise ValidationFailed(
            errors=[FieldError(field="decision", reason="accept or decline", location="path")]
        )
    return redirect(f"{CONSOLE_PATH}/transfers")


HANDLERS = [create_referral, move_referral, propose_transfer, transfers, decide_transfer]
