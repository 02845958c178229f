"""Every query of duplicate detection: encodings, their blocks, proposals within a caller's operations."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    Select,
    String,
    and_,
    delete,
    func,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.db.base import utcnow
from backend.db.models import (
    DataKey,
    DuplicateProposal,
    PersonEncoding,
    PersonEncodingToken,
    Record,
)
from backend.db.statements import insert_if_absent, rowcount

__all__ = ["BlockRow", "DuplicateRepository", "ProposalRow"]


#: The columns of an encoding that are compared, in ``BlockRow`` order.
_COMPARED = (
    "case_id",
    "name_filter",
    "birth_year",
    "birth_year_window",
    "nationality",
    "sex",
    "birth_year_block",
    "birth_day",
    "birth_day_swapped",
    "documents",
    "documents_near",
    "contacts",
    "contacts_near",
)


class BlockRow(NamedTuple):
    """One encoding of a block, as compared (no entity: blocks are large)."""

    case_id: uuid.UUID
    name_filter: bytes
    birth_year: bytes | None
    birth_year_window: bytes
    nationality: bytes | None
    sex: bytes | None
    birth_year_block: bytes | None
    birth_day: bytes | None
    birth_day_swapped: bytes | None
    documents: bytes | None
    documents_near: bytes | None
    contacts: bytes | None
    contacts_near: bytes | None

    @classmethod
    def of(cls, encoding: PersonEncoding) -> BlockRow:
        """The compared columns of a stored encoding."""
        return cls(*(getattr(encoding, name) for name in _COMPARED))


class ProposalRow(NamedTuple):
    """A proposal with the operation and facets of its two (live) case records."""

    proposal: DuplicateProposal
    left_operation_id: uuid.UUID
    left_facets: str
    right_operation_id: uuid.UUID
    right_facets: str


class DuplicateRepository:
    """Encodings, blocks and proposals; proposals are read only within operations given."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def encoding(self, case_id: uuid.UUID) -> PersonEncoding | None:
        """A case's stored encoding."""
        return await self.session.get(PersonEncoding, case_id)

    async def pending(self, *, limit: int) -> list[PersonEncoding]:
        """Encodings not compared yet, oldest first; locked, skipping others' (PostgreSQL)."""
        query = (
            select(PersonEncoding)
            .where(PersonEncoding.pending.is_(True))
            .order_by(PersonEncoding.updated_at, PersonEncoding.case_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(query)).scalars())

    def add_encoding(self, encoding: PersonEncoding) -> None:
        """Stage a case's first encoding."""
        self.session.add(encoding)

    async def delete_encoding(self, encoding: PersonEncoding) -> None:
        """Delete a case's encoding (its name is gone), with its identifier tokens."""
        await self.set_tokens(encoding.case_id, ())
        await self.session.delete(encoding)

    def add_tokens(self, case_id: uuid.UUID, tokens: Collection[bytes]) -> None:
        """Stage a new case's indexed identifier tokens."""
        self.session.add_all(PersonEncodingToken(case_id=case_id, token=t) for t in set(tokens))

    async def set_tokens(self, case_id: uuid.UUID, tokens: Collection[bytes]) -> None:
        """Replace a case's indexed identifier tokens."""
        await self.session.execute(
            delete(PersonEncodingToken).where(PersonEncodingToken.case_id == case_id)
        )
        self.add_tokens(case_id, tokens)

    async def sharing(
        self, *, master_key_id: str, tokens: Collection[bytes], exclude: uuid.UUID
    ) -> list[uuid.UUID]:
        """Cases encoded under this key that share one of these identifier tokens, whatever their year."""
        if not tokens:
            return []
        stmt = (
            select(PersonEncodingToken.case_id)
            .join(PersonEncoding, PersonEncoding.case_id == PersonEncodingToken.case_id)
            .where(
                PersonEncodingToken.token.in_(list(tokens)),
                PersonEncodingToken.case_id != exclude,
                PersonEncoding.master_key_id == master_key_id,
            )
            .distinct()
        )
        return list((await self.session.execute(stmt)).scalars())

    async def block(
        self, *, master_key_id: str, years: Collection[bytes] | None, exclude: uuid.UUID
    ) -> list[tuple[object, bytes, bytes]]:
        """(case id, name filter, identifier tokens) of the encodings under this key whose year is in ``years`` or unknown.

        ``years`` of ``None`` (the case's own year is unknown) is every
        encoding. Few columns: a block can hold thousands, and most are
        ruled out on the name and identifiers alone. The case id comes as the
        driver gives it (making thousands of UUIDs is most of the cost);
        ``uuid.UUID(str(id))`` makes one of it. The identifier tokens are the
        near tokens of documents and contacts, concatenated.
        """
        raw_id = type_coerce(PersonEncoding.case_id, String)
        stmt = select(
            raw_id,
            PersonEncoding.name_filter,
            PersonEncoding.documents_near,
            PersonEncoding.contacts_near,
        ).where(PersonEncoding.master_key_id == master_key_id, PersonEncoding.case_id != exclude)
        if years is not None:
            stmt = stmt.where(
                or_(PersonEncoding.birth_year.in_(list(years)), PersonEncoding.birth_year.is_(None))
            )
        return [
            (case_id, name, (docs or b"") + (contacts or b""))
            for case_id, name, docs, contacts in await self.session.execute(stmt)
        ]

    async def name_counts(
        self, *, master_key_id: str, filters: Collection[bytes]
    ) -> dict[bytes, int]:
        """How many encodings under this key have each of these name filters (identical names)."""
        if not filters:
            return {}
        stmt = (
            select(PersonEncoding.name_filter, func.count())
            .where(
                PersonEncoding.master_key_id == master_key_id,
                PersonEncoding.name_filter.in_(list(set(filters))),
            )
            .group_by(PersonEncoding.name_filter)
        )
        return {bytes(name): int(n) for name, n in await self.session.execute(stmt)}

    async def encodings(self, case_ids: Collection[uuid.UUID]) -> list[BlockRow]:
        """Whole encodings of these cases, as plain rows."""
        if not case_ids:
            return []
        columns = [getattr(PersonEncoding, name) for name in _COMPARED]
        stmt = select(*columns).where(PersonEncoding.case_id.in_(list(case_ids)))
        return [BlockRow(*row) for row in await self.session.execute(stmt)]

    async def drop_open_proposals(
        self,
        case_id: uuid.UUID,
        *,
        keep: Collection[uuid.UUID] = (),
        master_key_id: str | None = None,
    ) -> None:
        """Forget a case's undecided proposals, but those pairing it with a case in ``keep``.

        With ``master_key_id``, only pairs whose other case is encoded under
        that key (so was just compared) are forgotten: during a re-encoding
        after a rotation, a pair with a case not re-encoded yet stands.
        """
        kept = list(keep)
        others = select(PersonEncoding.case_id).where(PersonEncoding.master_key_id == master_key_id)
        compared = (
            (
                DuplicateProposal.right_case_id.in_(others),
                DuplicateProposal.left_case_id.in_(others),
            )
            if master_key_id is not None
            else (true(), true())
        )
        await self.session.execute(
            delete(DuplicateProposal).where(
                DuplicateProposal.status == "open",
                or_(
                    and_(
                        DuplicateProposal.left_case_id == case_id,
                        DuplicateProposal.right_case_id.not_in(kept),
                        compared[0],
                    ),
                    and_(
                        DuplicateProposal.right_case_id == case_id,
                        DuplicateProposal.left_case_id.not_in(kept),
                        compared[1],
                    ),
                ),
            )
        )

    async def propose(self, proposal: DuplicateProposal) -> None:
        """Add a proposal unless the pair already has one (a decided pair is never reopened)."""
        values = {
            c.key: getattr(proposal, c.key)
            for c in DuplicateProposal.__table__.columns
            if getattr(proposal, c.key) is not None
        }
        if not await insert_if_absent(self.session, DuplicateProposal, **values):
            await self.session.execute(
                update(DuplicateProposal)
                .where(
                    DuplicateProposal.left_case_id == proposal.left_case_id,
                    DuplicateProposal.right_case_id == proposal.right_case_id,
                    DuplicateProposal.status == "open",
                )
                .values(
                    score=proposal.score,
                    name_similarity=proposal.name_similarity,
                    birth_year=proposal.birth_year,
                    nationality=proposal.nationality,
                    sex=proposal.sex,
                    birth_day=proposal.birth_day,
                    documents=proposal.documents,
                    contacts=proposal.contacts,
                    updated_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )

    async def forget(self, case_id: uuid.UUID) -> None:
        """Delete a case's encoding, its identifier tokens and every proposal naming it."""
        await self.session.execute(delete(PersonEncoding).where(PersonEncoding.case_id == case_id))
        await self.session.execute(
            delete(PersonEncodingToken).where(PersonEncodingToken.case_id == case_id)
        )
        await self.session.execute(
            delete(DuplicateProposal).where(
                or_(
                    DuplicateProposal.left_case_id == case_id,
                    DuplicateProposal.right_case_id == case_id,
                )
            )
        )

    @staticmethod
    def _with_cases(
        operations: Collection[uuid.UUID], left: Any = None, right: Any = None
    ) -> Select[DuplicateProposal, uuid.UUID, str, uuid.UUID, str]:
        """Proposals whose two cases are live and both in ``operations``, with their facets.

        The operations are the cases' own, so a transferred case takes its
        proposals along (and out of sight of its former coordinators).
        """
        ops = list(operations)
        left = left if left is not None else aliased(Record)
        right = right if right is not None else aliased(Record)
        return (
            select(
                DuplicateProposal, left.operation_id, left.facets, right.operation_id, right.facets
            )
            .join(left, and_(left.id == DuplicateProposal.left_case_id, left.deleted.is_(False)))
            .join(
                right, and_(right.id == DuplicateProposal.right_case_id, right.deleted.is_(False))
            )
            .where(left.operation_id.in_(ops), right.operation_id.in_(ops))
        )

    async def page(
        self,
        operations: Collection[uuid.UUID],
        *,
        operation_id: uuid.UUID,
        status: str | None,
        limit: int,
        offset: int,
    ) -> list[ProposalRow]:
        """Proposals touching ``operation_id`` whose two cases are both in ``operations`` and live."""
        left, right = aliased(Record), aliased(Record)
        stmt = (
            self._with_cases(operations, left, right)
            .where(or_(left.operation_id == operation_id, right.operation_id == operation_id))
            .order_by(DuplicateProposal.score.desc(), DuplicateProposal.id)
            .limit(limit)
            .offset(offset)
        )
        if status is not None:
            stmt = stmt.where(DuplicateProposal.status == status)
        return [ProposalRow(*row) for row in await self.session.execute(stmt)]

    async def one(
        self, proposal_id: uuid.UUID, operations: Collection[uuid.UUID]
    ) -> ProposalRow | None:
        """A proposal whose two cases are live and both in ``operations``."""
        result = await self.session.execute(
            self._with_cases(operations).where(DuplicateProposal.id == proposal_id)
        )
        found = result.one_or_none()
        return None if found is None else ProposalRow(*found)

    async def decide(
        self,
        proposal_id: uuid.UUID,
        *,
        status: str,
        primary: uuid.UUID | None,
        by: uuid.UUID,
        at: dt.datetime,
    ) -> bool:
        """Record a decision on an open proposal; false when it was decided already (a race)."""
        result = await self.session.execute(
            update(DuplicateProposal)
            .where(DuplicateProposal.id == proposal_id, DuplicateProposal.status == "open")
            .values(
                status=status, primary_case_id=primary, decided_by=by, decided_at=at, updated_at=at
            )
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def reopen(self, proposal_id: uuid.UUID, *, at: dt.datetime) -> bool:
        """Undo a merge: the proposal is open again; false when it is not merged (a race)."""
        result = await self.session.execute(
            update(DuplicateProposal)
            .where(DuplicateProposal.id == proposal_id, DuplicateProposal.status == "merged")
            .values(
                status="open", primary_case_id=None, decided_by=None, decided_at=None, updated_at=at
            )
            .execution_options(synchronize_session=False)
        )
        return rowcount(result) == 1

    async def live_cases(
        self, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[tuple[Record, DataKey]]:
        """Live case records with their wrapped data keys, in id order after ``after``."""
        stmt = (
            select(Record, DataKey)
            .join(DataKey, DataKey.owner_id == Record.id)
            .where(Record.entity == "case", Record.deleted.is_(False))
            .order_by(Record.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(Record.id > after)
        return [(r, k) for r, k in await self.session.execute(stmt)]
