"""HTTP handlers for ``/api/v1/investigations`` (investigators) and ``/api/v1/disclosure-requests`` (coordinators)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.db.session import READS, WRITES
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.investigations.disclosures import DisclosureDecisions
from backend.investigations.graph import HubRule
from backend.investigations.schemas import (
    AddressLookup,
    ClusterExpansion,
    ClusterSummary,
    DecisionIn,
    DisclosureRequestIn,
    DisclosureRequestOut,
    Hub,
    InvestigationIn,
    InvestigationOut,
    LegalBasisIn,
    RequestForCoordinator,
    SearchHit,
    Summary,
)
from backend.investigations.services import InvestigationService
from backend.linkage.addresses import Chain
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["DisclosureRequestController", "InvestigationController", "LegalBasisController"]

Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
MinCases = Annotated[int, QueryParameter(ge=2, le=1_000_000)]
MinOperations = Annotated[int, QueryParameter(ge=1, le=10_000)]
#: A TON address with `/` (standard base64) is given raw (`0:…`) or in base64url.
Address = Annotated[str, PathParameter(min_length=1, max_length=260)]
PartialEnd = Annotated[str, QueryParameter(max_length=64, pattern=r"^[0-9A-Za-z:+/=_\-]*$")]
_ONE = "/{investigation_id:uuid}"


def provide_hub_rule(min_cases: MinCases = 10, min_operations: MinOperations = 2) -> HubRule:
    """The hub rule of a graph request, from its query (``min_cases``, ``min_operations``)."""
    return HubRule(min_cases=min_cases, min_operations=min_operations)


class InvestigationController(Controller):
    """An investigator's own investigations, and what each may see."""

    path = "/api/v1/investigations"
    tags = ["investigations"]
    guards = [allow(Role.INVESTIGATOR)]
    dependencies = {"hub_rule": Provide(provide_hub_rule, sync_to_thread=False)}

    @post(
        "/",
        opt=WRITES,
        status_code=201,
        summary="Open an investigation (title, purpose, legal basis)",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def open(
        self,
        data: JSONBody[InvestigationIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> InvestigationOut:
        return await InvestigationService(db_session, runtime).open(
            principal, title=data.title, purpose=data.purpose, legal_basis=data.legal_basis
        )

    @get(
        "/",
        opt=READS,
        summary="My investigations, newest first",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def mine(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[InvestigationOut]:
        return await InvestigationService(db_session, runtime).mine(
            principal, limit=limit, offset=offset
        )

    @get(
        _ONE,
        opt=READS,
        summary="One of my investigations",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def one(
        self,
        investigation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> InvestigationOut:
        return await InvestigationService(db_session, runtime).one(principal, investigation_id)

    @get(
        _ONE + "/addresses/{chain:str}/{address:str}",
        opt=READS,
        summary="Look up an address: cases by reference, payments per asset, co-disclosed addresses",
        description=(
            "Only disclosures whose case has current `financial_investigation` consent (or a "
            "recorded legal basis) appear; a victim's own wallet only after an approved "
            "disclosure request. The query is audited (the address as a keyed tag)."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def lookup(
        self,
        investigation_id: FromPath[uuid.UUID],
        chain: FromPath[Chain],
        address: Address,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        limit: Limit = 200,
    ) -> AddressLookup:
        return await InvestigationService(db_session, runtime).lookup(
            principal, investigation_id, chain, address, limit=limit
        )

    @get(
        _ONE + "/addresses",
        opt=READS,
        summary="Partial search: full addresses on a chain that start and end as recalled",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def search(
        self,
        investigation_id: FromPath[uuid.UUID],
        chain: FromQuery[Chain],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        prefix: PartialEnd = "",
        suffix: PartialEnd = "",
        limit: Limit = 100,
    ) -> list[SearchHit]:
        return await InvestigationService(db_session, runtime).search(
            principal, investigation_id, chain, prefix=prefix, suffix=suffix, limit=limit
        )

    @get(
        _ONE + "/graph/hubs",
        opt=READS,
        summary="Hubs: addresses named by many cases across several operations, ranked",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def hubs(
        self,
        investigation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        hub_rule: NamedDependency[HubRule],
        limit: Limit = 100,
    ) -> list[Hub]:
        return await InvestigationService(db_session, runtime).hubs(
            principal,
            investigation_id,
            rule=hub_rule,
            limit=limit,
        )

    @get(
        _ONE + "/graph/clusters",
        opt=READS,
        summary="Connected clusters of addresses and cases (union-find), hubs left out",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def clusters(
        self,
        investigation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        hub_rule: NamedDependency[HubRule],
        limit: Limit = 100,
    ) -> list[ClusterSummary]:
        return await InvestigationService(db_session, runtime).clusters(
            principal,
            investigation_id,
            rule=hub_rule,
            limit=limit,
        )

    @get(
        _ONE + "/graph/cluster/{chain:str}/{address:str}",
        opt=READS,
        summary="Expand the cluster of an address (hubs shown, not crossed)",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def expand(
        self,
        investigation_id: FromPath[uuid.UUID],
        chain: FromPath[Chain],
        address: Address,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        hub_rule: NamedDependency[HubRule],
        max_nodes: Annotated[int, QueryParameter(ge=1, le=100_000)] = 20_000,
    ) -> ClusterExpansion:
        return await InvestigationService(db_session, runtime).expand(
            principal,
            investigation_id,
            chain,
            address,
            rule=hub_rule,
            max_nodes=max_nodes,
        )

    @get(
        _ONE + "/summary",
        opt=READS,
        summary="Cases per chain and role; counts below k = 5 suppressed",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def summary(
        self,
        investigation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> Summary:
        return await InvestigationService(db_session, runtime).summary(principal, investigation_id)

    @get(
        _ONE + "/exports/{export_format:str}",
        summary="Export: GraphSense TagPack YAML (`tagpack`) or CSV (`csv`)",
        description=(
            "The TagPack has one tag per address or transaction, `confidence: "
            "forensic_investigation`, and a `context` of case counts and date ranges only. "
            "A victim's own wallet is never exported."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
        opt={**READS, "media_types": ("text/csv", "application/yaml")},
    )
    async def export(
        self,
        investigation_id: FromPath[uuid.UUID],
        export_format: FromPath[Literal["tagpack", "csv"]],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> Response[str]:
        service = InvestigationService(db_session, runtime)
        if export_format == "tagpack":
            body = await service.tagpack(principal, investigation_id)
            return Response(body, media_type="application/yaml; charset=utf-8")
        body = await service.csv(principal, investigation_id)
        return Response(body, media_type="text/csv")  # Litestar adds "; charset=utf-8"

    @post(
        _ONE + "/disclosure-requests",
        opt=WRITES,
        status_code=201,
        summary="Ask a coordinator to disclose more about one case reference",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def request_disclosure(
        self,
        investigation_id: FromPath[uuid.UUID],
        data: JSONBody[DisclosureRequestIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> DisclosureRequestOut:
        return await InvestigationService(db_session, runtime).request_disclosure(
            principal, investigation_id, case_ref=data.case_ref, reason=data.reason
        )

    @get(
        _ONE + "/disclosure-requests",
        opt=READS,
        summary="This investigation's disclosure requests; an approved one shows what it revealed",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def requests(
        self,
        investigation_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[DisclosureRequestOut]:
        return await InvestigationService(db_session, runtime).requests(
            principal, investigation_id, limit=limit, offset=offset
        )


class DisclosureRequestController(Controller):
    """Coordinators decide requests about cases of their operations."""

    path = "/api/v1/disclosure-requests"
    tags = ["investigations"]
    guards = [allow(Role.COORDINATOR)]

    @get(
        "/",
        opt=READS,
        summary="Disclosure requests about my operations' cases, oldest first",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def waiting(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
        status: FromQuery[Literal["pending", "approved", "refused"] | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[RequestForCoordinator]:
        return await DisclosureDecisions(db_session, runtime).waiting(
            principal, status=status, limit=limit, offset=offset
        )

    @post(
        "/{request_id:uuid}/decide",
        opt=WRITES,
        status_code=200,
        summary="Approve or refuse a pending request (approval reveals the case's own wallets)",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404, 409),
    )
    async def decide(
        self,
        request_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> RequestForCoordinator:
        return await DisclosureDecisions(db_session, runtime).decide(
            principal, request_id, approve=data.decision == "approve", note=data.note
        )


class LegalBasisController(Controller):
    """Coordinators record a legal basis, other than consent, for sharing a case's financial links."""

    path = "/api/v1/linkage/cases/{case_id:uuid}/legal-basis"
    tags = ["investigations"]
    guards = [allow(Role.COORDINATOR)]

    @put(
        "/",
        opt=WRITES,
        status_code=204,
        summary="Record a legal basis (a court order, say) for a case of my operations",
        description=(
            "With one, the case's disclosures reach investigators without consent; its own "
            "wallets still only through an approved disclosure request. Audited."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def record(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[LegalBasisIn],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> None:
        await DisclosureDecisions(db_session, runtime).legal_basis(
            principal, case_id, basis=data.legal_basis
        )

    @delete(
        "/",
        opt=WRITES,
        status_code=204,
        summary="Remove a case's legal basis (consent alone decides again)",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS, 404),
    )
    async def remove(
        self,
        case_id: FromPath[uuid.UUID],
        principal: CurrentPrincipal,
        db_session: DbSession,
        runtime: RuntimeDep,
    ) -> None:
        await DisclosureDecisions(db_session, runtime).legal_basis(principal, case_id, basis=None)
