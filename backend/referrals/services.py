"""Referrals: coordinators propose them and move them through the workflow; phones see each step.

A referral is a synced record (entity ``referral``). Coordinators write it
here through :class:`ServerWriter`, so every step is a new revision that
phones receive by pull; the steps themselves (who, when, from what) are kept
in ``referral_steps``. The workflow is ``proposed → accepted → in_progress →
completed``, and ``declined`` from any of the first three; any other move is
a 409 naming the field. The referral's record is locked while it moves, so of
two concurrent moves exactly one is judged against the state the other left.

Consent: nothing goes to an outside provider without the person's
``services`` consent as it stands now (the latest record wins): not the
referral, not a move to ``accepted`` or ``in_progress``, not the referral
package. Declining or completing needs none (stopping is always allowed).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.cases.repositories import CaseRepository
from backend.cases.services import CaseService
from backend.consent.services import ConsentService
from backend.db.base import utcnow
from backend.db.models import Record, ReferralStep, ServiceProvider
from backend.directory.repositories import ProviderRepository
from backend.errors import Conflict, ConsentRequired, FieldError, NotFound, ValidationFailed
from backend.i18n import N_
from backend.operations.repositories import OperationRepository
from backend.referrals.repositories import ReferralStepRepository
from backend.referrals.schemas import (
    ReferralCreate,
    ReferralOut,
    ReferralPackage,
    StepOut,
    Transition,
)
from backend.runtime import Runtime
from backend.screenings.protected import shareable_flags
from backend.sync.entities import REFERRAL_NEXT
from backend.sync.server_writes import ServerWriter

__all__ = ["NEXT", "ReferralService", "package_of"]

#: Where a referral may go from each status (the one workflow; push applies it too).
NEXT = REFERRAL_NEXT

#: Moves that send the person onward to the provider: they need consent now.
_ONWARD = frozenset({"accepted", "in_progress"})

#: Screening flags a provider must know about (forced criminality never leaves).
_NEEDS = ("child", "immediate_needs")


def package_of(
    referral: Record,
    values: dict[str, Any],
    case: Record,
    case_values: dict[str, Any],
    flags: set[str],
) -> ReferralPackage:
    """The referral package: exactly the fields ``services`` consent covers (see the schema)."""
    provider = values.get("provider_id")
    return ReferralPackage(
        referral_id=referral.id,
        service=values["service"],
        provider_id=uuid.UUID(str(provider)) if provider else None,
        case_code=case_values.get("case_code"),
        given_names=case_values.get("given_names"),
        family_name=case_values.get("family_name"),
        sex=case_values.get("sex"),
        age_group=str(msgspec.json.decode(case.facets).get("age_group") or "unknown"),
        nationality=case_values.get("nationality"),
        languages=list(case_values.get("languages") or []),
        needs=[flag for flag in _NEEDS if flag in flags],  # type: ignore[misc]
    )


class ReferralService:
    """Referrals of cases in the caller's operations."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.cases = CaseService(session, runtime)
        self.case_records = CaseRepository(session)
        self.writer = ServerWriter(session, runtime)
        self.consent = ConsentService(session)
        self.providers = ProviderRepository(session)
        self.steps = ReferralStepRepository(session)
        self.operations = OperationRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    def _refused(self, principal: Principal, referral_id: uuid.UUID, action: str) -> NotFound:
        return refused_as_not_found(
            N_("No such referral among your operations."),
            keyring=self.runtime.keyring,
            action=action,
            actor_id=principal.user_id,
            actor_role=principal.role,
            object_type="referral",
            object_id=referral_id,
        )

    async def _referral(
        self, principal: Principal, referral_id: uuid.UUID, *, action: str, lock: bool = False
    ) -> Record:
        record = (
            await self.writer.locked(referral_id)
            if lock
            else await self.writer.repo.record(referral_id)
        )
        scope = set(await self.operations.ids_for_member(principal.user_id))
        if (
            record is None
            or record.entity != "referral"
            or record.deleted
            or record.operation_id not in scope
        ):
            raise self._refused(principal, referral_id, action)
        return record

    async def _require_services_consent(self, case_id: uuid.UUID) -> None:
        if not await self.consent.consented(case_id, "services"):
            raise ConsentRequired(
                N_("The person has not consented to referral to services (or withdrew it)."),
                errors=[
                    FieldError(
                        field="consent.services",
                        reason="no services consent in force for this case",
                        location="body",
                        code="consent_required",
                    )
                ],
            )

    async def _provider(
        self, provider_id: uuid.UUID | None, service: str
    ) -> ServiceProvider | None:
        if provider_id is None:
            return None
        provider = await self.providers.get(provider_id)
        reason = None
        if provider is None or not provider.active:
            reason = "no active provider with this id"
        elif provider.kind != service:
            reason = f"this provider offers {provider.kind}, not {service}"
        if reason is not None:
            raise ValidationFailed(
                errors=[FieldError(field="provider_id", reason=reason, location="body")]
            )
        return provider

    async def _out(self, record: Record, values: dict[str, Any]) -> ReferralOut:
        provider = values.get("provider_id")
        return ReferralOut(
            id=record.id,
            case_id=record.case_id,
            service=values["service"],
            status=values["status"],
            provider_id=uuid.UUID(str(provider)) if provider else None,
            note=values.get("note"),
            rev=record.rev,
            history=[
                StepOut(
                    from_status=s.from_status,  # type: ignore[arg-type]
                    to_status=s.to_status,  # type: ignore[arg-type]
                    rev=s.rev,
                    actor_id=s.actor_id,
                    at=s.at,
                )
                for s in await self.steps.of(record.id)
            ],
        )

    def _step(self, principal: Principal, record: Record, before: str | None, after: str) -> None:
        self.steps.add(
            ReferralStep(
                id=uuid.uuid4(),
                referral_id=record.id,
                case_id=record.case_id,
                from_status=before,
                to_status=after,
                rev=record.rev,
                actor_id=principal.user_id,
                at=utcnow(),
            )
        )
        self.audit.record(
            AuditEvent(
                action="referral.create" if before is None else "referral.transition",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="referral",
                object_id=str(record.id),
                detail={"case": str(record.case_id), "from": before, "to": after},
            )
        )

    async def create(
        self, principal: Principal, case_id: uuid.UUID, data: ReferralCreate
    ) -> ReferralOut:
        """Propose a referral for a case of the caller's operations.

        Raises:
            NotFound: not a live case of the caller's operations (audited).
            ValidationFailed: the provider is unknown, inactive or of another kind.
            ConsentRequired: an outside provider, and no ``services`` consent in force.
        """
        case = await self.cases.coordinated_case(
            principal, case_id, action="referral.create", lock=True
        )
        provider = await self._provider(data.provider_id, data.service)
        if provider is not None and provider.outside:
            await self._require_services_consent(case.id)
        values: dict[str, Any] = {
            "case_id": str(case.id),
            "service": data.service,
            "status": "proposed",
        }
        if data.note is not None:
            values["note"] = data.note
        if provider is not None:
            values["provider_id"] = str(provider.id)
        record = await self.writer.create(
            entity="referral",
            record_id=uuid.uuid4(),
            case=case,
            values=values,
            actor_id=principal.user_id,
        )
        self._step(principal, record, None, "proposed")
        await self.writer.session.flush()
        return await self._out(record, values)

    async def get(self, principal: Principal, referral_id: uuid.UUID) -> ReferralOut:
        """A referral of the caller's operations, with its history (an audited read).

        Raises:
            NotFound: not a referral of the caller's operations (audited).
        """
        record = await self._referral(principal, referral_id, action="referral.read")
        values = await self.writer.read(record)
        self.audit.record(
            AuditEvent(
                action="referral.read",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="referral",
                object_id=str(record.id),
            )
        )
        return await self._out(record, values)

    async def move(
        self, principal: Principal, referral_id: uuid.UUID, transition: Transition
    ) -> ReferralOut:
        """Move a referral one step along the workflow.

        Raises:
            NotFound: not a referral of the caller's operations (audited).
            Conflict: not a move the workflow allows from the current status, or
                the referral changed since revision ``rev``.
            ConsentRequired: a move onward to an outside provider without consent in force.
        """
        record = await self._referral(
            principal, referral_id, action="referral.transition", lock=True
        )
        if transition.rev is not None and transition.rev != record.rev:
            raise Conflict(
                N_("The referral changed since you saw it."),
                errors=[
                    FieldError(
                        field="rev",
                        reason=f"the referral is at revision {record.rev}",
                        location="body",
                        code="stale",
                    )
                ],
            )
        values = await self.writer.read(record)
        current = str(values.get("status"))
        if transition.status not in NEXT.get(current, frozenset()):
            raise Conflict(
                N_("A referral cannot move there from its current status."),
                errors=[
                    FieldError(
                        field="status",
                        reason=f"cannot move from {current} to {transition.status}",
                        location="body",
                        code="illegal_transition",
                    )
                ],
            )
        if transition.status in _ONWARD and values.get("provider_id"):
            provider = await self.providers.get(uuid.UUID(str(values["provider_id"])))
            if provider is None or provider.outside:
                await self._require_services_consent(record.case_id)
        await self.writer.change(record, {"status": transition.status})
        self._step(principal, record, current, transition.status)
        await self.writer.session.flush()
        return await self._out(record, {**values, "status": transition.status})

    async def package(self, principal: Principal, referral_id: uuid.UUID) -> ReferralPackage:
        """The referral package for the provider, under ``services`` consent in force now.

        Raises:
            NotFound: not a referral of the caller's operations (audited).
            ConsentRequired: no ``services`` consent in force.
        """
        record = await self._referral(principal, referral_id, action="referral.package")
        await self._require_services_consent(record.case_id)
        case = await self.writer.repo.record(record.case_id)
        assert case is not None
        values = await self.writer.read(record)
        case_values = await self.writer.read(case)
        flags: set[str] = set()
        for screening in await self.case_records.records_of_case(case.id):
            facets = msgspec.json.decode(screening.facets)
            if screening.entity == "screening" and facets.get("completed"):
                # Never a need that rests on an answer promised not to be used against them.
                screened = await self.writer.read(screening)
                flags |= shareable_flags(self.runtime.instruments, screened)
        self.audit.record(
            AuditEvent(
                action="referral.package",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="referral",
                object_id=str(record.id),
                detail={
                    "case": str(case.id),
                    "purpose": "services",
                    "provider": str(values.get("provider_id") or ""),
                },
            )
        )
        return package_of(record, values, case, case_values, flags)
