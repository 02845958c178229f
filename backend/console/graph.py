"""Investigators' graph pages: hubs, clusters, and a cluster drawn as SVG on the server.

No script runs in the console, so the drawing is made here: address nodes on
an outer ring, case references on an inner one, a line per disclosure. Each
address is a link that expands the cluster from it; "more" raises the node
budget. The data is :meth:`InvestigationService.expand`'s, as the API gives it.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from backend.access.guards import allow
from backend.access.roles import Role
from backend.console.glue import page
from backend.db.session import READS
from backend.deps import CurrentPrincipal, DbSession, RuntimeDep
from backend.errors import FieldError, ValidationFailed
from backend.investigations.graph import HubRule
from backend.investigations.schemas import ClusterExpansion
from backend.investigations.services import InvestigationService
from backend.linkage.addresses import CHAINS

__all__ = ["HANDLERS", "Drawing", "draw"]

INVESTIGATOR = allow(Role.INVESTIGATOR)
_API_ONE = "/api/v1/investigations/{investigation_id:uuid}"
SIZE = 640
BUDGETS = (40, 120, 400)


@dataclass(frozen=True, slots=True)
class Point:
    """A node placed on the drawing."""

    x: float
    y: float
    label: str
    kind: str  # address, hub, case, start
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Drawing:
    """Nodes and lines of one cluster, in SVG user units."""

    size: int
    points: list[Point]
    lines: list[tuple[float, float, float, float]]


def _ring(count: int, radius: float, index: int) -> tuple[float, float]:
    angle = 2 * math.pi * index / max(count, 1) - math.pi / 2
    centre = SIZE / 2
    return centre + radius * math.cos(angle), centre + radius * math.sin(angle)


def draw(expansion: ClusterExpansion, *, start: str, link: str) -> Drawing:
    """Lay a cluster out on two rings; ``link`` is the page URL an address expands to."""
    addresses = expansion.addresses
    cases = expansion.cases
    where: dict[tuple[str, str], tuple[float, float]] = {}
    points = []
    for n, node in enumerate(addresses):
        x, y = _ring(len(addresses), SIZE * 0.42, n)
        where[("address", f"{node.chain}:{node.address}")] = (x, y)
        kind = "start" if node.address == start else ("hub" if node.hub else "address")
        short = f"{node.address[:6]}…{node.address[-4:]}"
        href = f"{link}?chain={node.chain}&address={node.address}"
        points.append(Point(x, y, f"{node.chain} {short} ({node.cases})", kind, href))
    for n, case in enumerate(cases):
        x, y = _ring(len(cases), SIZE * 0.2, n)
        where[("case", str(case.case_ref))] = (x, y)
        points.append(Point(x, y, str(case.case_ref)[:10], "case"))
    lines = []
    for edge in expansion.edges:
        a = where.get(("case", str(edge.case_ref)))
        b = where.get(("address", f"{edge.chain}:{edge.address}"))
        if a and b:
            lines.append((a[0], a[1], b[0], b[1]))
    return Drawing(size=SIZE, points=points, lines=lines)


def _budget(request: Request[Any, Any, Any]) -> int:
    raw = request.query_params.get("max") or str(BUDGETS[0])
    if not raw.isdigit() or int(raw) not in BUDGETS:
        raise ValidationFailed(
            errors=[FieldError(field="max", reason="40, 120 or 400", location="query")]
        )
    return int(raw)


@get(
    "/investigations/{investigation_id:uuid}/cluster",
    guards=[INVESTIGATOR],
    opt={**READS, "api": ("GET", _API_ONE + "/graph/cluster/{chain:str}/{address:str}")},
    name="console.cluster",
)
async def cluster(
    request: Request[Any, Any, Any],
    investigation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """The cluster of an address, drawn; each address expands the cluster from it."""
    chain = request.query_params.get("chain") or ""
    address = (request.query_params.get("address") or "").strip()[:200]
    if chain not in CHAINS or not address:
        raise ValidationFailed(
            errors=[FieldError(field="chain", reason="a chain and an address", location="query")]
        )
    budget = _budget(request)
    service = InvestigationService(db_session, runtime)
    one = await service.one(principal, investigation_id)
    expansion = await service.expand(
        principal,
        investigation_id,
        chain,
        address,
        rule=HubRule(),
        max_nodes=budget,
    )
    link = f"/console/investigations/{investigation_id}/cluster"
    bigger = [b for b in BUDGETS if b > budget]
    return page(
        request,
        "cluster.html",
        investigation=one,
        expansion=expansion,
        drawing=draw(expansion, start=address, link=link),
        chain=chain,
        address=address,
        more=f"{link}?chain={chain}&address={address}&max={bigger[0]}"
        if bigger and expansion.truncated
        else None,
    )


@get(
    "/investigations/{investigation_id:uuid}/hubs",
    guards=[INVESTIGATOR],
    opt={**READS, "api": ("GET", _API_ONE + "/graph/hubs")},
    name="console.hubs",
)
async def hubs(
    request: Request[Any, Any, Any],
    investigation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Addresses named by many cases across operations, and the clusters hubs left out."""
    service = InvestigationService(db_session, runtime)
    one = await service.one(principal, investigation_id)
    rule = HubRule()
    found = await service.hubs(principal, investigation_id, rule=rule, limit=50)
    groups = await service.clusters(principal, investigation_id, rule=rule, limit=20)
    return page(request, "hubs.html", investigation=one, hubs=found, clusters=groups, rule=rule)


@get(
    "/investigations/{investigation_id:uuid}/search",
    guards=[INVESTIGATOR],
    opt={**READS, "api": ("GET", _API_ONE + "/addresses")},
    name="console.partial_search",
)
async def partial_search(
    request: Request[Any, Any, Any],
    investigation_id: FromPath[uuid.UUID],
    principal: CurrentPrincipal,
    db_session: DbSession,
    runtime: RuntimeDep,
) -> Template:
    """Full addresses on a chain that start and end as a victim recalled them."""
    service = InvestigationService(db_session, runtime)
    one = await service.one(principal, investigation_id)
    chain = request.query_params.get("chain") or ""
    prefix = (request.query_params.get("prefix") or "").strip()[:64]
    suffix = (request.query_params.get("suffix") or "").strip()[:64]
    hits = None
    if chain or prefix or suffix:
        if chain not in CHAINS:
            raise ValidationFailed(
                errors=[FieldError(field="chain", reason="a chain id", location="query")]
            )
        hits = await service.search(
            principal,
            investigation_id,
            chain,
            prefix=prefix,
            suffix=suffix,
            limit=100,
        )
    return page(
        request,
        "search.html",
        investigation=one,
        chains=CHAINS,
        chain=chain,
        prefix=prefix,
        suffix=suffix,
        hits=hits,
    )


HANDLERS = [cluster, hubs, partial_search]
