"""HTTP handlers for referrals (coordinators of the case's operation)."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses
from backend.referrals.schemas import ReferralCreate, ReferralOut, ReferralPackage, Transition
from backend.referrals.services import ReferralService

__all__ = ["ReferralController"]


class ReferralController(Controller):
    """Propose referrals, move them through the workflow, hand over the package."""

    path = "/api/v1"
    tags = ["referrals"]
    guards = [allow(Role.COORDINATOR)]

    @post(
        "/cases/{case_id:uuid}/referrals",
        opt=WRITES,
        summary="Propose a referral for a case",
        description=(
            "Written as a synced record: phones see it on their next pull. A provider outside "
            "the organisation needs the person's `services` consent in force (409 "
            "`consent-required` otherwise). Audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def create(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[ReferralCreate],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ReferralOut:
        return await ReferralService(db_session, runtime).create(principal, case_id, data)

    @get(
        "/referrals/{referral_id:uuid}",
        opt=READS,
        summary="A referral and who moved it when",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def get_one(
        self,
        referral_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ReferralOut:
        return await ReferralService(db_session, runtime).get(principal, referral_id)

    @post(
        "/referrals/{referral_id:uuid}/transitions",
        opt=WRITES,
        status_code=200,
        summary="Move a referral along the workflow",
        description=(
            "proposed → accepted → in_progress → completed, or declined from the first three. "
            "Any other move, or a `rev` that is no longer current, is a 409 naming the field. "
            "Moving onward to an outside provider needs `services` consent in force."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def move(
        self,
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[Transition],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ReferralOut:
        return await ReferralService(db_session, runtime).move(principal, referral_id, data)

    @get(
        "/referrals/{referral_id:uuid}/package",
        opt=READS,
        summary="The case data that goes to the provider, under services consent",
        description=(
            "Exactly what `services` consent covers: names, sex, age group, nationality, "
            "languages, case code and the needs the provider must know (child, immediate "
            "needs). Never documents, contacts, date of birth, the account, answers or "
            "disclosures. Checked against consent on every request; audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def package(
        self,
        referral_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> ReferralPackage:
        return await ReferralService(db_session, runtime).package(principal, referral_id)
