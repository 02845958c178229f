"""Investigations: pseudonymous lookups, search, the link graph, exports and disclosure requests.

An investigator works inside an investigation of their own; another's is
"not found", and the refusal is audited. Every query is audited too (the
address queried is recorded as a keyed tag, never in clear). Cases appear as
case references: HMAC pseudonyms under a key derived for the investigation
(from the master key active when it was opened), stable inside it and
unlinkable across investigations; operations likewise. Exports, the summary,
hubs and clusters hold only what the investigation's own lookups, searches
and expansions reached (``reach.py``), so that references cannot be matched
across investigations by the rows behind them.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog
from backend.crypto.keys import KeyRing
from backend.crypto.vault import Vault, WrappedKey
from backend.db.base import utcnow
from backend.db.models import DisclosureRequest, Investigation
from backend.errors import Conflict, FieldError, ValidationFailed
from backend.i18n import N_
from backend.investigations import exports
from backend.investigations.disclosures import Revelations
from backend.investigations.graph import HubRule, clusters
from backend.investigations.projection import WalletTagger, search_key
from backend.investigations.reach import note_reach
from backend.investigations.refusals import refused
from backend.investigations.repositories import (
    InvestigationRepository,
    LinkageRepository,
)
from backend.investigations.schemas import (
    AddressLookup,
    AddressNode,
    AddressRef,
    AssetTotal,
    CaseDisclosure,
    CaseNode,
    ClusterExpansion,
    ClusterSummary,
    CoAddress,
    DisclosureRequestOut,
    Edge,
    Hub,
    InvestigationOut,
    PartialMatch,
    SearchHit,
    Summary,
)
from backend.linkage.addresses import Chain, InvalidValue, normalize
from backend.linkage.addresses.partials import PartialAddress
from backend.runtime import Runtime
from backend.statistics import DEFAULT_K, Table
from backend.summary.ledger import released_table

__all__ = ["CO_DISCLOSURE_CASES", "InvestigationService", "References"]

_NOT_YOURS = N_("No such investigation of yours.")
#: Co-disclosed addresses are counted over at most this many cases of the address
#: (the earliest): a hub's thousands of cases are not read on every lookup.
CO_DISCLOSURE_CASES = 500


class References:
    """Case and operation pseudonyms of one investigation."""

    def __init__(self, keyring: KeyRing, investigation: Investigation) -> None:
        # Derived when it was opened; wrapped under the next master key by a rotation
        # (backend/rotation), so references stay the same and the old key can go.
        if investigation.wrapped_key is not None:
            self._key = Vault(keyring).unwrap_raw(
                WrappedKey(wrapped=investigation.wrapped_key, master_key_id=investigation.key_id),
                investigation.id,
            )
        else:
            self._key = keyring.derive(
                "pseudonym-case-reference",
                key_id=investigation.key_id,
                context=investigation.id.bytes,
            )

    def _mac(self, label: bytes, value: uuid.UUID) -> bytes:
        return hmac.new(self._key, label + b"\x00" + value.bytes, hashlib.sha256).digest()

    def case(self, case_id: uuid.UUID) -> str:
        """The case's reference in this investigation."""
        return "cr_" + self._mac(b"case", case_id)[:10].hex()

    def operation(self, operation_id: uuid.UUID) -> str:
        """The operation's pseudonym in this investigation."""
        return "op_" + self._mac(b"operation", operation_id)[:8].hex()


def _invalid(field: str, exc: InvalidValue, location: str = "query") -> ValidationFailed:
    return ValidationFailed(
        errors=[FieldError(field=field, reason=exc.reason, location=location, code=exc.code)]
    )


class InvestigationService:
    """What an investigator does, always inside one of their own investigations."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime
        self.investigations = InvestigationRepository(session)
        self.index = LinkageRepository(session)
        self.audit = AuditLog(session, runtime.keyring)
        self.revelations = Revelations(self.index, Vault(runtime.keyring))

    # -- investigations -------------------------------------------------------------

    @staticmethod
    def _out(row: Investigation) -> InvestigationOut:
        return InvestigationOut(
            id=row.id,
            title=row.title,
            purpose=row.purpose,
            legal_basis=row.legal_basis,
            created_at=row.created_at,
        )

    async def open(
        self, principal: Principal, *, title: str, purpose: str, legal_basis: str
    ) -> InvestigationOut:
        """Open an investigation; its case references are derived from the active master key."""
        row = Investigation(
            id=uuid.uuid4(),
            owner_id=principal.user_id,
            title=title,
            purpose=purpose,
            legal_basis=legal_basis,
            key_id=self.runtime.keyring.active_id,
            created_at=utcnow(),
        )
        self.investigations.add(row)
        self._audit(principal, row, "investigation.open")
        return self._out(row)

    async def mine(
        self, principal: Principal, *, limit: int, offset: int
    ) -> list[InvestigationOut]:
        """The caller's investigations."""
        rows = await self.investigations.list_owned(principal.user_id, limit=limit, offset=offset)
        return [self._out(r) for r in rows]

    async def one(self, principal: Principal, investigation_id: uuid.UUID) -> InvestigationOut:
        """One of the caller's investigations."""
        return self._out(await self._owned(principal, investigation_id, "investigation.read"))

    async def _owned(
        self,
        principal: Principal,
        investigation_id: uuid.UUID,
        action: str,
        *,
        for_update: bool = False,
    ) -> Investigation:
        row = await self.investigations.owned(
            investigation_id, principal.user_id, for_update=for_update
        )
        if row is None:
            raise refused(
                self.runtime,
                principal,
                _NOT_YOURS,
                action=action,
                object_type="investigation",
                object_id=investigation_id,
            )
        return row

    def _audit(
        self,
        principal: Principal,
        investigation: Investigation,
        action: str,
        **detail: str | int | bool | None,
    ) -> None:
        self.audit.record(
            AuditEvent(
                action=action,
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="investigation",
                object_id=str(investigation.id),
                detail=detail,
            )
        )

    def _tags(self, chain: str, canonical: str) -> list[bytes]:
        keyring = self.runtime.keyring
        return [WalletTagger(keyring, key_id=k).tag(chain, canonical) for k in keyring.key_ids]

    # -- lookup and search ----------------------------------------------------------

    async def lookup(
        self,
        principal: Principal,
        investigation_id: uuid.UUID,
        chain: Chain,
        address: str,
        *,
        limit: int = 200,
    ) -> AddressLookup:
        """Cases that disclosed an address, payments summed per asset, co-disclosed addresses.

        ``cases`` and ``co_disclosed`` hold at most ``limit`` entries (a hub is
        named by thousands); ``case_count`` and the sums cover every case.
        """
        investigation = await self._owned(principal, investigation_id, "investigation.lookup")
        try:
            canonical = normalize(address.lstrip("/"), chain)[0].canonical
        except InvalidValue as exc:
            raise _invalid("address", exc, "path") from None
        refs = References(self.runtime.keyring, investigation)
        tags = self._tags(chain, canonical)
        naming = await self.index.cases_naming(investigation.id, tags, limit=limit)
        shown = [r[0] for r in naming]
        cases = [
            CaseDisclosure(
                case_ref=refs.case(case_id),
                operation_ref=refs.operation(operation_id),
                roles=sorted(set(roles.split(","))),
                kinds=sorted(set(kinds.split(","))),
                first_disclosed=first,
                last_disclosed=last,
            )
            for case_id, operation_id, first, last, roles, kinds in naming
        ]
        total, first_day, last_day, period_from, period_to = await self.index.address_totals(
            investigation.id, tags
        )
        totals: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        for row_chain, asset, amount in await self.index.payments_of(investigation.id, tags):
            totals[(row_chain, asset)].append(Decimal(amount))
        payments = [
            AssetTotal(chain=c, asset=a, total=sum(v, Decimal(0)), payments=len(v))  # type: ignore[arg-type]
            for (c, a), v in sorted(totals.items())
        ]
        co = await self.index.co_disclosed(
            investigation.id, tags, cases_at_most=CO_DISCLOSURE_CASES, limit=limit
        )
        # What this lookup reached: the cases it lists, and those whose partials matched.
        reached = list(shown)
        partials = []
        keyring = self.runtime.keyring
        filed = [WalletTagger(keyring, key_id=k).partials(chain) for k in keyring.key_ids]
        for row in await self.index.partials_on(investigation.id, filed):
            partial = PartialAddress(
                chain=chain, prefix=row.partial_prefix or "", suffix=row.partial_suffix or ""
            )
            if partial.matches(canonical):
                reached.append(row.case_id)
                partials.append(
                    PartialMatch(
                        case_ref=refs.case(row.case_id),
                        operation_ref=refs.operation(row.operation_id),
                        role=row.role,
                        prefix=partial.prefix,
                        suffix=partial.suffix,
                    )
                )
        note_reach(self.session, investigation.id, reached)
        self._audit(
            principal,
            investigation,
            "investigation.lookup",
            chain=chain,
            tag=tags[-1][:8].hex(),
            cases=total,
        )
        return AddressLookup(
            chain=chain,
            address=canonical,
            case_count=total,
            cases=cases,
            first_disclosed=first_day,
            last_disclosed=last_day,
            period_from=period_from,
            period_to=period_to,
            payments=payments,
            co_disclosed=[CoAddress(chain=r[0], address=r[1], cases=r[2]) for r in co],
            co_disclosed_complete=total <= CO_DISCLOSURE_CASES,
            partial_matches=partials,
        )

    async def search(
        self,
        principal: Principal,
        investigation_id: uuid.UUID,
        chain: Chain,
        *,
        prefix: str,
        suffix: str,
        limit: int,
    ) -> list[SearchHit]:
        """Full addresses on a chain that start and end as a victim recalled."""
        investigation = await self._owned(principal, investigation_id, "investigation.search")
        try:
            partial = PartialAddress(chain=chain, prefix=prefix, suffix=suffix)
        except InvalidValue as exc:
            raise _invalid("prefix" if prefix else "suffix", exc) from None
        ends = search_key(chain, partial.prefix), search_key(chain, partial.suffix)
        rows = await self.index.search(
            investigation.id, chain, prefix=ends[0], suffix=ends[1], limit=limit
        )
        found = [(r[0], r[1]) for r in rows]
        note_reach(
            self.session,
            investigation.id,
            await self.index.cases_of_addresses(investigation.id, found),
        )
        self._audit(
            principal,
            investigation,
            "investigation.search",
            chain=chain,
            known=len(partial.prefix) + len(partial.suffix),
            results=len(rows),
        )
        return [
            SearchHit(
                chain=r[0], address=r[1], cases=r[2], first_disclosed=r[3], last_disclosed=r[4]
            )
            for r in rows
        ]

    # -- the link graph -------------------------------------------------------------

    async def hubs(
        self, principal: Principal, investigation_id: uuid.UUID, *, rule: HubRule, limit: int
    ) -> list[Hub]:
        """Among the cases it reached: addresses named by many cases across operations."""
        investigation = await self._owned(principal, investigation_id, "investigation.hubs")
        rows = await self.index.hubs(investigation.id, rule=rule, limit=limit)
        self._audit(principal, investigation, "investigation.hubs", results=len(rows))
        return [Hub(chain=r[0], address=r[1], cases=r[2], operations=r[3]) for r in rows]

    async def clusters(
        self, principal: Principal, investigation_id: uuid.UUID, *, rule: HubRule, limit: int
    ) -> list[ClusterSummary]:
        """Connected clusters (union-find over its reached cases' rows), hubs left out."""
        investigation = await self._owned(principal, investigation_id, "investigation.clusters")
        hub_rows = await self.index.hubs(investigation.id, rule=rule, limit=100_000)
        hubs = {(r[0], r[1]) for r in hub_rows}
        edges = await self.index.edges(investigation.id)
        found = clusters(((e[0], e[1], e[2], e[3]) for e in edges), hubs=hubs)[:limit]
        self._audit(principal, investigation, "investigation.clusters", results=len(found))
        return [
            ClusterSummary(
                addresses=len(c.addresses),
                cases=len(c.cases),
                operations=c.operations,
                sample=[AddressRef(chain=a[0], address=a[1]) for a in c.addresses[:5]],  # type: ignore[arg-type]
            )
            for c in found
        ]

    async def expand(
        self,
        principal: Principal,
        investigation_id: uuid.UUID,
        chain: Chain,
        address: str,
        *,
        rule: HubRule,
        max_nodes: int,
    ) -> ClusterExpansion:
        """The cluster reached from an address, breadth first through the index; hubs not crossed."""
        investigation = await self._owned(principal, investigation_id, "investigation.cluster")
        try:
            canonical = normalize(address.lstrip("/"), chain)[0].canonical
        except InvalidValue as exc:
            raise _invalid("address", exc, "path") from None
        refs = References(self.runtime.keyring, investigation)
        nodes: dict[bytes, tuple[str, str, int, bool]] = {}
        seen_cases: dict[uuid.UUID, uuid.UUID] = {}
        edges: set[tuple[uuid.UUID, str, str, str]] = set()
        truncated = False

        async def visit(found: dict[bytes, tuple[str, str]], *, start: bool = False) -> list[Any]:
            """Add these addresses, counted; the cases to expand next (none through a hub)."""
            shared = set(found) if start else await self.index.named_more_than_once(found)
            for tag in found.keys() - shared:  # one row: the case it was reached from
                nodes[tag] = (*found[tag], 1, False)
            spread = []
            for tag, cases, operations in await self.index.address_counts(investigation.id, shared):
                hub = rule.is_hub(cases=cases, operations=operations)
                nodes[tag] = (*found[tag], cases, hub)
                if not hub and (cases > 1 or start):
                    spread.append(tag)
            if not spread:
                return []
            rows = await self.index.cases_of_tags(investigation.id, spread)
            return list(dict.fromkeys(r[0] for r in rows if r[0] not in seen_cases))

        frontier = await visit(
            dict.fromkeys(self._tags(chain, canonical), (chain, canonical)), start=True
        )
        while frontier and not truncated:
            new: dict[bytes, tuple[str, str]] = {}
            for (
                case_id,
                operation_id,
                tag,
                chain_,
                address_,
                role,
            ) in await self.index.graph_rows(investigation.id, frontier):
                seen_cases[case_id] = operation_id
                edges.add((case_id, chain_, address_, role))
                if tag not in nodes:
                    new.setdefault(tag, (chain_, address_))
            if len(nodes) + len(seen_cases) + len(new) > max_nodes:
                room = max(0, max_nodes - len(nodes) - len(seen_cases))
                new, truncated = dict(list(new.items())[:room]), True
            frontier = await visit(new) if new else []
        case_ops = seen_cases
        note_reach(self.session, investigation.id, seen_cases)
        addresses = sorted(
            (
                AddressNode(chain=c, address=a, cases=n, hub=hub)  # type: ignore[arg-type]
                for c, a, n, hub in nodes.values()
            ),
            key=lambda n: (n.chain, n.address),
        )
        self._audit(
            principal,
            investigation,
            "investigation.cluster",
            chain=chain,
            tag=self._tags(chain, canonical)[-1][:8].hex(),
            nodes=len(addresses) + len(case_ops),
        )
        return ClusterExpansion(
            addresses=addresses,
            cases=sorted(
                (
                    CaseNode(case_ref=refs.case(c), operation_ref=refs.operation(o))
                    for c, o in case_ops.items()
                ),
                key=lambda n: n.case_ref,
            ),
            edges=sorted(
                (
                    Edge(case_ref=refs.case(c), chain=ch, address=a, role=r)  # type: ignore[arg-type]
                    for c, ch, a, r in edges
                ),
                key=lambda e: (e.case_ref, e.chain, e.address, e.role),
            ),
            truncated=truncated,
        )

    # -- aggregates and exports -----------------------------------------------------

    async def summary(self, principal: Principal, investigation_id: uuid.UUID) -> Summary:
        """Reached cases per chain and role, small counts suppressed (k = 5)."""
        investigation = await self._owned(principal, investigation_id, "investigation.summary")
        counts = await self.index.case_counts(investigation.id)
        chains = sorted({r[0] for r in counts})
        roles = sorted({r[1] for r in counts})
        self._audit(principal, investigation, "investigation.summary", cells=len(counts))
        grid = [[0] * len(roles) for _ in chains]
        for chain, role, n in counts:
            grid[chains.index(chain)][roles.index(role)] = n
        table = await released_table(
            self.runtime.db,
            f"investigation:{investigation.id}",
            Table(row_labels=chains, column_labels=roles, counts=grid) if counts else None,
            cases=[row[0] for row in await self.index.visible_cases(investigation.id)],
            k=DEFAULT_K,
        )
        if table is None:
            return Summary(
                k=DEFAULT_K, chains=[], roles=[], cells=[], chain_totals=[], role_totals=[], total=0
            )
        return Summary(
            k=table.k,
            # The release's labels, not today's (they are the same chain and role ids).
            chains=list(table.row_labels),  # type: ignore[arg-type]
            roles=list(table.column_labels),  # type: ignore[arg-type]
            cells=[[c.value for c in row] for row in table.cells],
            chain_totals=[c.value for c in table.row_totals],
            role_totals=[c.value for c in table.column_totals],
            total=table.grand_total.value,
        )

    async def tagpack(self, principal: Principal, investigation_id: uuid.UUID) -> str:
        """The addresses and transactions the investigation reached, as a GraphSense TagPack."""
        investigation = await self._owned(principal, investigation_id, "investigation.export")
        lines = [
            exports.TagLine(
                chain=chain,
                address=address,
                tx_hash=None if address is not None else tx_hash,
                roles=frozenset(roles.split(",")),
                cases=cases,
                first_disclosed=first,
                last_disclosed=last,
                period_from=period_from,
                period_to=period_to,
            )
            for (
                chain,
                address,
                tx_hash,
                roles,
                cases,
                first,
                last,
                period_from,
                period_to,
            ) in await self.index.export_groups(investigation.id)
        ]
        header = exports.TagPackHeader(
            title=investigation.title,
            creator="Lantern",
            description=(
                "Addresses and transactions disclosed by people found at scam compounds, "
                "pseudonymised; no personal data. Counts below "
                f"{DEFAULT_K} are shown as <{DEFAULT_K}."
            ),
            source=f"urn:lantern:investigation:{investigation.id}",
        )
        self._audit(
            principal, investigation, "investigation.export", format="tagpack", tags=len(lines)
        )
        return exports.to_tagpack(header, lines, k=DEFAULT_K)

    async def csv(self, principal: Principal, investigation_id: uuid.UUID) -> str:
        """Every visible disclosure of a reached case with a readable value, one per line."""
        investigation = await self._owned(principal, investigation_id, "investigation.export")
        refs = References(self.runtime.keyring, investigation)
        rows = await self.index.export_edges(investigation.id)
        self._audit(principal, investigation, "investigation.export", format="csv", lines=len(rows))
        return exports.to_csv(
            (
                refs.case(r.case_id),
                refs.operation(r.operation_id),
                r.chain,
                r.address,
                r.tx_hash if r.address is None else None,
                r.kind,
                r.role,
                r.asset,
                r.amount,
                r.date_from,
                r.date_to,
                r.disclosed_on,
            )
            for r in rows
        )

    # -- disclosure requests (the investigator's side) -------------------------------

    async def request_disclosure(
        self, principal: Principal, investigation_id: uuid.UUID, *, case_ref: str, reason: str
    ) -> DisclosureRequestOut:
        """Ask about one case reference; a coordinator of its operation decides.

        Raises:
            NotFound: no visible case has this reference here (audited).
            Conflict: a request about the case is already pending.
        """
        investigation = await self._owned(
            principal, investigation_id, "disclosure_request.create", for_update=True
        )
        refs = References(self.runtime.keyring, investigation)
        match = next(
            (
                (r.case_id, r.operation_id)
                for r in await self.index.visible_cases(investigation.id)
                if hmac.compare_digest(refs.case(r.case_id), case_ref)
            ),
            None,
        )
        if match is None:
            raise refused(
                self.runtime,
                principal,
                N_("No such case reference in this investigation."),
                action="disclosure_request.create",
                object_type="investigation",
                object_id=investigation.id,
            )
        pending = [
            r
            for r in await self.investigations.requests_of(investigation.id, limit=10_000, offset=0)
            if r.case_id == match[0] and r.status == "pending"
        ]
        if pending:
            raise Conflict(N_("A request about this case is already waiting for a decision."))
        row = DisclosureRequest(
            id=uuid.uuid4(),
            investigation_id=investigation.id,
            case_id=match[0],
            operation_id=match[1],
            case_ref=case_ref,
            reason=reason,
            status="pending",
            requested_by=principal.user_id,
            requested_at=utcnow(),
        )
        self.investigations.add_request(row)
        self.audit.record(
            AuditEvent(
                action="disclosure_request.create",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="disclosure_request",
                object_id=str(row.id),
                detail={"investigation": str(investigation.id)},
            )
        )
        return DisclosureRequestOut(
            id=row.id,
            case_ref=row.case_ref,
            reason=row.reason,
            status="pending",
            requested_at=row.requested_at,
            decided_at=None,
        )

    async def requests(
        self, principal: Principal, investigation_id: uuid.UUID, *, limit: int, offset: int
    ) -> list[DisclosureRequestOut]:
        """The investigation's requests; an approved one carries what it revealed."""
        investigation = await self._owned(principal, investigation_id, "disclosure_request.read")
        out = []
        revealed_count = 0
        for row in await self.investigations.requests_of(
            investigation.id, limit=limit, offset=offset
        ):
            revealed = await self.revelations.of(row) if row.status == "approved" else None
            revealed_count += len(revealed or [])
            out.append(
                DisclosureRequestOut(
                    id=row.id,
                    case_ref=row.case_ref,
                    reason=row.reason,
                    status=row.status,  # type: ignore[arg-type]
                    requested_at=row.requested_at,
                    decided_at=row.decided_at,
                    revealed=revealed,
                )
            )
        self._audit(
            principal,
            investigation,
            "disclosure_request.read",
            requests=len(out),
            revealed=revealed_count,
        )
        return out
