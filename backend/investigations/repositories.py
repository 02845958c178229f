"""Every query of investigations: the linkage index, consent bases, disclosure requests.

What an investigator may see is applied inside each query (:func:`visible`):
a disclosure appears only when its case's latest ``financial_investigation``
consent is given or a legal basis is recorded for the case, and a victim's own
wallet (any sealed row) only when an approved disclosure request of that
investigation named its record, at the revision approved. Exports and
aggregates read only the rows of cases the investigation reached (:func:`_reached`).
Nothing is filtered after the query.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    distinct,
    func,
    insert,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from backend.consent.repositories import given_clause
from backend.consent.rules import FINANCIAL_INVESTIGATION
from backend.db.base import utcnow
from backend.db.models import (
    ApprovedRecord,
    CaseBasis,
    DataKey,
    DisclosureRequest,
    Investigation,
    LinkedDisclosure,
    ReachedCase,
    Record,
)
from backend.db.statements import dialect_insert
from backend.investigations.graph import HubRule

__all__ = [
    "InvestigationRepository",
    "LinkageRepository",
    "ProjectionOp",
    "apply_projection",
    "forget_case",
    "save_reach",
    "set_legal_basis",
    "visible",
]

#: Bound parameters per ``IN`` list (SQLite allows 32,766 per statement).
_CHUNK = 900
_D = LinkedDisclosure
_R = ReachedCase
#: A case's own record: where it is now (a request follows its case).
_Case = aliased(Record)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectionOp:
    """One change to the index: a record's rows replaced, a consent, or a case dropped."""

    record_id: uuid.UUID | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    forget_case: uuid.UUID | None = None


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)] or [[]]


def apply_projection(session: Session, ops: Sequence[ProjectionOp]) -> None:
    """Write index changes in order (runs inside the writing transaction, synchronously).

    A run of record changes is written with one DELETE and one INSERT, the last
    change of each record winning (a batch of creates costs two statements).
    """
    run: dict[uuid.UUID, ProjectionOp] = {}

    def flush_run() -> None:
        if not run:
            return
        session.execute(delete(_D).where(_D.record_id.in_(list(run))))
        rows = [row for op in run.values() for row in op.rows or ()]
        if rows:
            session.execute(insert(_D), rows)
        run.clear()

    for op in ops:
        if op.forget_case is not None:
            flush_run()
            session.execute(delete(_D).where(_D.case_id == op.forget_case))
            session.execute(delete(_R).where(_R.case_id == op.forget_case))
            session.execute(delete(CaseBasis).where(CaseBasis.case_id == op.forget_case))
        elif op.record_id is not None:
            run.pop(op.record_id, None)  # keep the order of last changes
            run[op.record_id] = op
    flush_run()


async def set_legal_basis(session: AsyncSession, case_id: uuid.UUID, basis: str | None) -> None:
    """Record (or, with None, remove) a case's legal basis other than consent; race-free."""
    statement = dialect_insert(session)(CaseBasis).values(
        case_id=case_id, legal_basis=basis, updated_at=utcnow()
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CaseBasis.case_id],
            set_={"legal_basis": statement.excluded.legal_basis, "updated_at": utcnow()},
        )
    )


async def forget_case(session: AsyncSession, case_id: uuid.UUID) -> None:
    """Drop everything the index holds of a case (erasure calls this)."""
    await session.execute(delete(_D).where(_D.case_id == case_id))
    await session.execute(delete(_R).where(_R.case_id == case_id))
    await session.execute(delete(CaseBasis).where(CaseBasis.case_id == case_id))


def _basis_holds(case_id: Any) -> ColumnElement[bool]:
    """A case may reach investigators: its standing ``financial_investigation`` consent is
    given (the one consent rule, ``backend.consent``), or a legal basis is recorded.

    The one spelling of that rule here: :func:`visible` and
    :meth:`LinkageRepository.with_basis` (the disclosure read-back) both use it, with
    :class:`CaseBasis` outer-joined on the case.
    """
    return or_(given_clause(case_id, FINANCIAL_INVESTIGATION), CaseBasis.legal_basis.is_not(None))


def _approved_records(investigation_id: uuid.UUID) -> Select[Any]:
    """Records an approved request of this investigation named, still at the revision approved."""
    return (
        select(ApprovedRecord.record_id)
        .join(DisclosureRequest, DisclosureRequest.id == ApprovedRecord.request_id)
        .join(Record, (Record.id == ApprovedRecord.record_id) & (Record.rev == ApprovedRecord.rev))
        .where(
            DisclosureRequest.investigation_id == investigation_id,
            DisclosureRequest.status == "approved",
            Record.deleted.is_(False),
        )
    )


def visible(investigation_id: uuid.UUID) -> list[ColumnElement[bool]]:
    """The conditions under which an index row appears in one investigation.

    Used with a join of :class:`CaseBasis` on the case (see ``_select``). A
    sealed row (the victim's own) appears only when an approved request of the
    investigation named its record, at the revision approved.
    """
    return [
        _basis_holds(_D.case_id),
        or_(_D.sealed.is_(False), _D.record_id.in_(_approved_records(investigation_id))),
    ]


def _select(investigation_id: uuid.UUID, *columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(_D)
        .outerjoin(CaseBasis, CaseBasis.case_id == _D.case_id)
        .where(*visible(investigation_id))
    )


def _reached(investigation_id: uuid.UUID, *columns: Any) -> Select[Any]:
    """Like ``_select``, over the rows of cases this investigation reached by its own work."""
    return _select(investigation_id, *columns).join(
        _R,
        and_(_R.investigation_id == investigation_id, _R.case_id == _D.case_id),
    )


def save_reach(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Record cases investigations reached (runs inside the writing transaction)."""
    insert_ = dialect_insert(session)  # type: ignore[arg-type]  # a sync Session works alike
    for part in _chunks(list(rows)):
        if part:
            session.execute(insert_(_R).values(list(part)).on_conflict_do_nothing())


def _exported() -> list[ColumnElement[bool]]:
    """What leaves in an export: readable values, never a victim's own (even approved)."""
    return [
        _D.sealed.is_(False),
        or_(_D.address.is_not(None), _D.tx_hash.is_not(None)),
    ]


_ROW = (
    _D.record_id,
    _D.case_id,
    _D.operation_id,
    _D.kind,
    _D.role,
    _D.chain,
    _D.address,
    _D.lookup_tag,
    _D.tx_hash,
    _D.asset,
    _D.amount,
    _D.date_from,
    _D.date_to,
    _D.disclosed_on,
)


class InvestigationRepository:
    """Investigations and disclosure requests."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, investigation: Investigation) -> None:
        """Stage a new investigation."""
        self.session.add(investigation)

    async def owned(
        self, investigation_id: uuid.UUID, owner_id: uuid.UUID, *, for_update: bool = False
    ) -> Investigation | None:
        """The investigation, if this investigator opened it (locked: requests wait their turn)."""
        statement = select(Investigation).where(
            Investigation.id == investigation_id, Investigation.owner_id == owner_id
        )
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def get(self, investigation_id: uuid.UUID) -> Investigation | None:
        """Any investigation (for a coordinator deciding a request about it)."""
        return await self.session.get(Investigation, investigation_id)

    async def list_owned(
        self, owner_id: uuid.UUID, *, limit: int, offset: int
    ) -> list[Investigation]:
        """This investigator's investigations, newest first."""
        result = await self.session.execute(
            select(Investigation)
            .where(Investigation.owner_id == owner_id)
            .order_by(Investigation.created_at.desc(), Investigation.id)
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars())

    def add_request(self, request: DisclosureRequest) -> None:
        """Stage a new disclosure request."""
        self.session.add(request)

    def add_approved(self, approved: ApprovedRecord) -> None:
        """Stage a record an approval reveals."""
        self.session.add(approved)

    async def requests_of(
        self, investigation_id: uuid.UUID, *, limit: int, offset: int
    ) -> list[DisclosureRequest]:
        """An investigation's disclosure requests, newest first."""
        result = await self.session.execute(
            select(DisclosureRequest)
            .where(DisclosureRequest.investigation_id == investigation_id)
            .order_by(DisclosureRequest.requested_at.desc(), DisclosureRequest.id)
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars())

    async def request_in(
        self,
        request_id: uuid.UUID,
        *,
        operations: Collection[uuid.UUID],
        for_update: bool = False,
    ) -> tuple[DisclosureRequest, uuid.UUID] | None:
        """One request whose case is now in one of these operations, and that operation.

        The case's current operation decides (a transferred case's requests
        follow it; the operation it was asked in no longer does).
        """
        statement = (
            select(DisclosureRequest, _Case.operation_id)
            .join(_Case, _Case.id == DisclosureRequest.case_id)
            .where(
                DisclosureRequest.id == request_id,
                _Case.entity == "case",
                _Case.operation_id.in_(list(operations)),
            )
        )
        if for_update:
            statement = statement.with_for_update(of=DisclosureRequest)
        found = (await self.session.execute(statement)).one_or_none()
        return None if found is None else (found[0], found[1])

    async def requests_for_operations(
        self, operations: Collection[uuid.UUID], *, status: str | None, limit: int, offset: int
    ) -> list[tuple[DisclosureRequest, Investigation, uuid.UUID]]:
        """Requests about cases now in these operations (with that operation), oldest first."""
        if not operations:
            return []
        statement = (
            select(DisclosureRequest, Investigation, _Case.operation_id)
            .join(Investigation, Investigation.id == DisclosureRequest.investigation_id)
            .join(_Case, _Case.id == DisclosureRequest.case_id)
            .where(_Case.entity == "case", _Case.operation_id.in_(list(operations)))
        )
        if status is not None:
            statement = statement.where(DisclosureRequest.status == status)
        statement = (
            statement.order_by(DisclosureRequest.requested_at, DisclosureRequest.id)
            .limit(limit)
            .offset(offset)
        )
        return [(row[0], row[1], row[2]) for row in await self.session.execute(statement)]


class LinkageRepository:
    """The linkage index as one investigation may see it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def named_more_than_once(self, tags: Collection[bytes]) -> set[bytes]:
        """Which of these tags have more than one row in the index, visible or not.

        Read from the tag index alone (no join): a pre-filter, so that the
        visible counts are computed only where an address can have more than
        the one case it was reached from. Never shown to anyone as such.
        """
        out: set[bytes] = set()
        for part in _chunks(list(tags)):
            statement = (
                select(_D.lookup_tag)
                .where(_D.lookup_tag.in_(part))
                .group_by(_D.lookup_tag)
                .having(func.count() > 1)
            )
            out.update(await self.session.scalars(statement))
        return out

    async def address_counts(
        self, investigation_id: uuid.UUID, tags: Collection[bytes]
    ) -> list[Any]:
        """(tag, cases, operations) of each readable address among these tags."""
        out: list[Any] = []
        for part in _chunks(list(tags)):
            statement = (
                _select(
                    investigation_id,
                    _D.lookup_tag,
                    func.count(distinct(_D.case_id)),
                    func.count(distinct(_D.operation_id)),
                )
                .where(_D.lookup_tag.in_(part), _D.address.is_not(None))
                .group_by(_D.lookup_tag)
            )
            out += list(await self.session.execute(statement))
        return out

    async def cases_of_tags(
        self, investigation_id: uuid.UUID, tags: Collection[bytes]
    ) -> list[Any]:
        """(case, operation) of every visible case that named one of these addresses."""
        out: list[Any] = []
        for part in _chunks(list(tags)):
            statement = (
                _select(investigation_id, _D.case_id, _D.operation_id)
                .where(_D.lookup_tag.in_(part), _D.address.is_not(None))
                .distinct()
            )
            out += list(await self.session.execute(statement))
        return out

    async def graph_rows(
        self, investigation_id: uuid.UUID, case_ids: Collection[uuid.UUID]
    ) -> list[Any]:
        """(case, operation, tag, chain, address, role) of these cases' readable addresses."""
        out: list[Any] = []
        for part in _chunks(list(case_ids)):
            statement = _select(
                investigation_id,
                _D.case_id,
                _D.operation_id,
                _D.lookup_tag,
                _D.chain,
                _D.address,
                _D.role,
            ).where(_D.case_id.in_(part), _D.address.is_not(None))
            out += list(await self.session.execute(statement))
        return out

    async def partials_on(self, investigation_id: uuid.UUID, tags: Collection[bytes]) -> list[Any]:
        """Visible partial addresses disclosed on a chain (filed under its partials' tags)."""
        statement = _select(
            investigation_id,
            _D.case_id,
            _D.operation_id,
            _D.role,
            _D.partial_prefix,
            _D.partial_suffix,
            _D.disclosed_on,
        ).where(_D.lookup_tag.in_(list(tags)), _D.partial_prefix.is_not(None))
        return list(await self.session.execute(statement))

    async def search(
        self, investigation_id: uuid.UUID, chain: str, *, prefix: str, suffix: str, limit: int
    ) -> list[Any]:
        """Readable addresses on a chain that start and end as given, with case counts."""
        cases = func.count(distinct(_D.case_id))
        statement = _select(
            investigation_id,
            _D.chain,
            _D.address,
            cases,
            func.min(_D.disclosed_on),
            func.max(_D.disclosed_on),
        ).where(_D.chain == chain, _D.address.is_not(None))
        # The longer end narrows through its index; both are then checked exactly.
        if prefix:
            statement = statement.where(
                _D.search_key >= prefix,
                _D.search_key < prefix + "\uffff",
                func.substr(_D.search_key, 1, len(prefix)) == prefix,
            )
        if suffix:
            reversed_ = suffix[::-1]
            statement = statement.where(
                _D.search_reversed >= reversed_,
                _D.search_reversed < reversed_ + "\uffff",
                func.substr(_D.search_reversed, 1, len(reversed_)) == reversed_,
            )
        statement = (
            statement.group_by(_D.chain, _D.address).order_by(cases.desc(), _D.address).limit(limit)
        )
        return list(await self.session.execute(statement))

    async def cases_naming(
        self, investigation_id: uuid.UUID, tags: Collection[bytes], *, limit: int
    ) -> list[Any]:
        """Per visible case that named the address: operation, first and last day, roles, kinds."""
        first = func.min(_D.disclosed_on)
        statement = (
            _select(
                investigation_id,
                _D.case_id,
                _D.operation_id,
                first,
                func.max(_D.disclosed_on),
                func.aggregate_strings(_D.role, ","),
                func.aggregate_strings(_D.kind, ","),
            )
            .where(_D.lookup_tag.in_(list(tags)))
            .group_by(_D.case_id, _D.operation_id)
            .order_by(first, _D.case_id)
            .limit(limit)
        )
        return list(await self.session.execute(statement))

    async def address_totals(self, investigation_id: uuid.UUID, tags: Collection[bytes]) -> Any:
        """(cases, first day, last day, earliest payment day, latest payment day) of the address."""
        statement = _select(
            investigation_id,
            func.count(distinct(_D.case_id)),
            func.min(_D.disclosed_on),
            func.max(_D.disclosed_on),
            func.min(_D.date_from),
            func.max(_D.date_to),
        ).where(_D.lookup_tag.in_(list(tags)))
        return (await self.session.execute(statement)).one()

    async def payments_of(self, investigation_id: uuid.UUID, tags: Collection[bytes]) -> list[Any]:
        """(chain, asset, amount) of every visible payment with an exact amount (summed by the caller)."""
        statement = _select(investigation_id, _D.chain, _D.asset, _D.amount).where(
            _D.lookup_tag.in_(list(tags)), _D.asset.is_not(None), _D.amount.is_not(None)
        )
        return list(await self.session.execute(statement))

    async def co_disclosed(
        self,
        investigation_id: uuid.UUID,
        tags: Collection[bytes],
        *,
        cases_at_most: int,
        limit: int,
    ) -> list[Any]:
        """Other readable addresses that cases naming the address also named, and how many did.

        Counted over the ``cases_at_most`` earliest cases that named it (a hub's
        thousands of cases would otherwise be read on every lookup).
        """
        naming = (
            _select(investigation_id, _D.case_id)
            .where(_D.lookup_tag.in_(list(tags)))
            .group_by(_D.case_id)
            .order_by(func.min(_D.disclosed_on), _D.case_id)
            .limit(cases_at_most)
        )
        cases = func.count(distinct(_D.case_id))
        statement = (
            _select(investigation_id, _D.chain, _D.address, cases)
            .where(
                _D.case_id.in_(naming),
                _D.address.is_not(None),
                _D.lookup_tag.not_in(list(tags)),
            )
            .group_by(_D.chain, _D.address)
            .order_by(cases.desc(), _D.chain, _D.address)
            .limit(limit)
        )
        return list(await self.session.execute(statement))

    async def hubs(self, investigation_id: uuid.UUID, *, rule: HubRule, limit: int) -> list[Any]:
        """Addresses that are hubs under ``rule``, most named first."""
        cases = func.count(distinct(_D.case_id))
        operations = func.count(distinct(_D.operation_id))
        statement = (
            _reached(investigation_id, _D.chain, _D.address, cases, operations)
            .where(_D.address.is_not(None))
            .group_by(_D.chain, _D.address)
            .having(cases >= rule.min_cases, operations >= rule.min_operations)
            .order_by(cases.desc(), operations.desc(), _D.chain, _D.address)
            .limit(limit)
        )
        return list(await self.session.execute(statement))

    async def edges(self, investigation_id: uuid.UUID) -> list[Any]:
        """Every visible (case, operation, chain, address) edge of the link graph."""
        statement = _reached(
            investigation_id, _D.case_id, _D.operation_id, _D.chain, _D.address
        ).where(_D.address.is_not(None))
        return list(await self.session.execute(statement))

    async def export_groups(self, investigation_id: uuid.UUID) -> list[Any]:
        """Per address (or transaction): roles, case count and date ranges; no victim's own."""
        statement = (
            _reached(
                investigation_id,
                _D.chain,
                _D.address,
                _D.tx_hash,
                func.aggregate_strings(_D.role, ","),
                func.count(distinct(_D.case_id)),
                func.min(_D.disclosed_on),
                func.max(_D.disclosed_on),
                func.min(_D.date_from),
                func.max(_D.date_to),
            )
            .where(*_exported())
            .group_by(_D.chain, _D.address, _D.tx_hash)
            .order_by(_D.chain, _D.address, _D.tx_hash)
        )
        return list(await self.session.execute(statement))

    async def export_edges(self, investigation_id: uuid.UUID) -> list[Any]:
        """Every visible disclosure with a readable value, for the CSV export."""
        statement = (
            _reached(investigation_id, *_ROW)
            .where(*_exported())
            .order_by(_D.chain, _D.address, _D.tx_hash, _D.case_id)
        )
        return list(await self.session.execute(statement))

    async def case_counts(self, investigation_id: uuid.UUID) -> list[Any]:
        """Distinct visible cases per chain and role (an aggregate, suppressed by the caller)."""
        statement = _reached(
            investigation_id, _D.chain, _D.role, func.count(distinct(_D.case_id))
        ).group_by(_D.chain, _D.role)
        return list(await self.session.execute(statement))

    async def visible_cases(self, investigation_id: uuid.UUID) -> list[Any]:
        """Every case with at least one visible disclosure, and its operation."""
        statement = _reached(investigation_id, _D.case_id, _D.operation_id).distinct()
        return list(await self.session.execute(statement))

    async def sealed_records(self, case_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
        """(id, revision) of a case's live disclosure records whose index rows are sealed."""
        record_ids = select(_D.record_id).where(_D.case_id == case_id, _D.sealed.is_(True))
        result = await self.session.execute(
            select(Record.id, Record.rev)
            .where(Record.id.in_(record_ids), Record.deleted.is_(False))
            .order_by(Record.id)
        )
        return [(r[0], r[1]) for r in result]

    async def approved_records(self, request_id: uuid.UUID) -> list[Record]:
        """The live records a request's approval named, if still at the revision approved."""
        result = await self.session.execute(
            select(Record)
            .join(
                ApprovedRecord,
                (ApprovedRecord.record_id == Record.id) & (ApprovedRecord.rev == Record.rev),
            )
            .where(ApprovedRecord.request_id == request_id, Record.deleted.is_(False))
            .order_by(Record.id)
        )
        return list(result.scalars())

    async def with_basis(self, case_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these cases may reach investigators now (the rule of :func:`visible`)."""
        out: set[uuid.UUID] = set()
        for part in _chunks(list(case_ids)):
            cases = select(Record.id.label("case_id")).where(Record.id.in_(part)).subquery()
            statement = (
                select(cases.c.case_id)
                .outerjoin(CaseBasis, CaseBasis.case_id == cases.c.case_id)
                .where(_basis_holds(cases.c.case_id))
            )
            out.update(await self.session.scalars(statement))
        return out

    # -- what a query reached -------------------------------------------------------

    async def cases_of_addresses(
        self, investigation_id: uuid.UUID, addresses: Collection[tuple[str, str]]
    ) -> set[uuid.UUID]:
        """Visible cases that named any of these (chain, address) pairs."""
        out: set[uuid.UUID] = set()
        for part in _chunks(list(addresses)):
            if not part:
                continue
            statement = (
                _select(investigation_id, _D.case_id)
                .where(tuple_(_D.chain, _D.address).in_(list(part)))
                .distinct()
            )
            out.update(await self.session.scalars(statement))
        return out

    async def data_key(self, case_id: uuid.UUID) -> DataKey | None:
        """A case's wrapped data key (none once erased)."""
        return await self.session.get(DataKey, case_id)

    # -- rebuilding -----------------------------------------------------------------

    async def clear(self) -> None:
        """Empty the index (before a rebuild); recorded legal bases stay."""
        await self.session.execute(delete(_D))
        await self.session.execute(delete(CaseBasis).where(CaseBasis.legal_basis.is_(None)))

    async def projected_records(self, *, after: uuid.UUID | None, limit: int) -> list[Record]:
        """Live disclosure records of live cases, in id order, a page at a time."""
        deleted_cases = select(Record.id).where(Record.entity == "case", Record.deleted.is_(True))
        statement = select(Record).where(
            Record.entity == "disclosure",
            Record.deleted.is_(False),
            Record.case_id.not_in(deleted_cases),
        )
        if after is not None:
            statement = statement.where(Record.id > after)
        result = await self.session.execute(statement.order_by(Record.id).limit(limit))
        return list(result.scalars())

    async def data_keys(self, owners: Collection[uuid.UUID]) -> dict[uuid.UUID, DataKey]:
        """Wrapped data keys of these cases."""
        out: dict[uuid.UUID, DataKey] = {}
        for part in _chunks(list(owners)):
            result = await self.session.execute(select(DataKey).where(DataKey.owner_id.in_(part)))
            out.update({k.owner_id: k for k in result.scalars()})
        return out

    async def apply(self, ops: Sequence[ProjectionOp]) -> None:
        """Write index changes now (the rebuild's path; sync's waits for commit)."""
        await self.session.run_sync(apply_projection, ops)
