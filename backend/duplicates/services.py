"""Possible duplicates: encode each case under the person-match key, propose pairs, let coordinators decide.

- :func:`encode_case` runs when sync writes a case: it encodes the name,
  birth year, nationality and sex (``backend.matching``) under the
  ``person-match`` key of the active master key, stores the encoding, and
  proposes every case in its block (birth year ± 1, or unknown) that scores
  at least :data:`PROPOSE_AT`. Nothing is merged.
- :func:`scan` (``lantern duplicates scan``) re-encodes every live case, for
  cases that predate this, and after a master-key rotation (an encoding names
  its master key; encodings under different keys are never compared).
- :class:`DuplicateService` lists proposals to coordinators of both cases'
  operations, and merges (links the two cases, naming the primary one; both
  stay, with their histories) or dismisses them. Every step is audited.
- :func:`forget_case` drops a case's encoding and proposals (erasure).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog, refused_as_not_found
from backend.crypto.vault import SealedValueError, Vault, WrappedKey
from backend.db.base import utcnow
from backend.db.models import DuplicateProposal, PersonEncoding, Record
from backend.db.session import write_transaction
from backend.duplicates.repositories import BlockRow, DuplicateRepository, ProposalRow
from backend.duplicates.schemas import CaseSide, DuplicateOut
from backend.errors import Conflict, FieldError, NotFound, ValidationFailed
from backend.i18n import N_
from backend.matching import EncodedPerson, Sex, dice, encode_person, score_pair
from backend.operations.repositories import OperationRepository
from backend.runtime import Runtime
from backend.sync.sealing import open_body

__all__ = [
    "PROPOSE_AT",
    "DuplicateService",
    "ScanReport",
    "encode_case",
    "forget_case",
    "match_pending",
    "person_of",
    "scan",
]

logger = logging.getLogger("lantern.duplicates")

#: The lowest score proposed to a coordinator (see bench/RESULTS.md for what it buys).
PROPOSE_AT = 0.6
_TOKEN = 8
_SEXES: frozenset[str] = frozenset({"female", "male", "other"})


@dataclass(frozen=True, slots=True)
class Person:
    """What matching reads of a case: the name as written, a year, a country, a sex."""

    name: str
    birth_year: int | None
    nationality: str | None
    sex: Sex | None


def person_of(values: Mapping[str, Any], recorded: dt.datetime) -> Person | None:
    """The matching fields of a case's decrypted values; ``None`` when it has no name.

    The birth year is the date of birth's, or the year of recording minus an
    age estimate.
    """
    parts = [values.get("given_names"), values.get("family_name")]
    name = " ".join(str(p).strip() for p in parts if p and str(p).strip())
    if not name:
        return None
    year: int | None = None
    born = values.get("date_of_birth")
    if born:
        year = int(str(born)[:4])
    elif isinstance(values.get("age_estimate"), int):
        year = recorded.year - int(values["age_estimate"])
    sex = values.get("sex")
    nationality = values.get("nationality")
    return Person(
        name=name,
        birth_year=year,
        nationality=str(nationality) if nationality else None,
        sex=sex if sex in _SEXES else None,
    )


def _stored(encoded: EncodedPerson, record: Record, master_key_id: str) -> PersonEncoding:
    return PersonEncoding(
        case_id=record.id,
        master_key_id=master_key_id,
        name_filter=encoded.name_filter_bytes(),
        birth_year=encoded.birth_year,
        birth_year_window=b"".join(sorted(encoded.birth_year_window)),
        nationality=encoded.nationality,
        sex=encoded.sex,
        updated_at=utcnow(),
    )


def _loaded(row: BlockRow) -> EncodedPerson:
    window = row.birth_year_window
    return EncodedPerson(
        record_id=str(row.case_id),
        name_filter=int.from_bytes(row.name_filter, "big"),
        birth_year=row.birth_year,
        birth_year_window=frozenset(window[i : i + _TOKEN] for i in range(0, len(window), _TOKEN)),
        nationality=row.nationality,
        sex=row.sex,
    )


#: The columns an encoding is made of (what a re-encoding replaces).
_ENCODED = (
    "master_key_id",
    "name_filter",
    "birth_year",
    "birth_year_window",
    "nationality",
    "sex",
    "updated_at",
)


def _same(a: PersonEncoding, b: PersonEncoding) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in _ENCODED if f != "updated_at")


async def encode_case(
    session: AsyncSession,
    runtime: Runtime,
    record: Record,
    values: Mapping[str, Any],
    *,
    rematch: bool = False,
    compare: bool = True,
) -> None:
    """Encode a case just written by sync, and propose the cases in its block that score high.

    Cheap when nothing matching reads has changed (the encoding is compared
    first). A failure to encode is logged and leaves the case unencoded
    (``lantern duplicates scan`` tries again): it never fails the push.

    Args:
        session: The write transaction that wrote ``record``.
        runtime: Keys and settings.
        record: The case record as stored.
        values: Its decrypted values, whole (not only what changed).
        rematch: Compare with its block even if the encoding is unchanged (a
            scan: two cases pushed at once do not see each other's encoding).
        compare: Compare now; ``False`` (sync) stores the encoding as pending
            for :func:`match_pending`.
    """
    repo = DuplicateRepository(session)
    try:
        person = person_of(values, record.created_at)
        key_id = runtime.keyring.active_id
        encoded = (
            encode_person(
                key=runtime.keyring.derive("person-match", key_id=key_id),
                record_id=str(record.id),
                name=person.name,
                birth_year=person.birth_year,
                nationality=person.nationality,
                sex=person.sex,
            )
            if person is not None
            else None
        )
    except Exception as exc:  # a normaliser's bug must not lose a caseworker's push
        logger.warning("a case could not be encoded for matching: %s", type(exc).__name__)
        return
    # A case just created has no encoding yet (a scan re-encodes cases that may).
    previous = await repo.encoding(record.id) if rematch or record.rev > 1 else None
    if encoded is None:
        if previous is not None:
            await repo.delete_encoding(previous)
            await repo.drop_open_proposals(record.id)
        return
    stored = _stored(encoded, record, key_id)
    stored.pending = not compare
    if previous is None:
        repo.add_encoding(stored)
    elif _same(previous, stored) and not rematch:
        return
    else:
        for name in _ENCODED:
            setattr(previous, name, getattr(stored, name))
        previous.pending = not compare
    if compare:
        await _propose(repo, encoded, key_id, drop_others=previous is not None)


async def _propose(
    repo: DuplicateRepository, encoded: EncodedPerson, key_id: str, *, drop_others: bool
) -> None:
    """Propose every case in the encoding's block that scores high enough."""
    case_id = uuid.UUID(encoded.record_id)
    years = None if encoded.birth_year is None else encoded.birth_year_window
    kept: set[uuid.UUID] = set()
    # Field weights never raise a score (a test holds them to that), so most of
    # a block is ruled out on the name alone, before anything else is read.
    close = [
        uuid.UUID(str(other_id))
        for other_id, name_filter in await repo.block(
            master_key_id=key_id, years=years, exclude=case_id
        )
        if dice(encoded.name_filter, int.from_bytes(name_filter, "big")) >= PROPOSE_AT
    ]
    for other in await repo.encodings(close):
        found = score_pair(encoded, _loaded(other))
        if found.score < PROPOSE_AT:
            continue
        kept.add(other.case_id)
        now = utcnow()
        await repo.propose(
            DuplicateProposal(
                id=uuid.uuid4(),
                left_case_id=uuid.UUID(found.left_id),
                right_case_id=uuid.UUID(found.right_id),
                score=round(found.score, 4),
                name_similarity=round(found.name_similarity, 4),
                birth_year=found.birth_year,
                nationality=found.nationality,
                sex=found.sex,
                status="open",
                created_at=now,
                updated_at=now,
            )
        )
    if drop_others:
        # Pairs that no longer score (a name was corrected) are no longer proposed.
        await repo.drop_open_proposals(case_id, keep=kept, master_key_id=key_id)


async def match_pending(
    runtime: Runtime, *, batch_size: int = 200, batches: int | None = None
) -> int:
    """Compare the encodings sync stored since the last run with their blocks; propose pairs.

    Sync only encodes (comparing a case with its block at push cost more than
    the push itself once thousands of cases are stored). This runs in the
    server every ``LANTERN_DUPLICATES_MATCH_SECONDS`` and as ``lantern
    duplicates match``; batches are one transaction each, claimed with
    ``SKIP LOCKED`` on PostgreSQL, so several workers share the work.

    Args:
        runtime: Keys and the database.
        batch_size: Encodings compared per transaction.
        batches: Stop after this many transactions (``None``: until none is pending).

    Returns:
        How many encodings were compared.
    """
    done = 0
    rounds = 0
    while True:
        async with write_transaction(runtime.db) as session:
            repo = DuplicateRepository(session)
            rows = await repo.pending(limit=batch_size)
            for row in rows:
                await _propose(
                    repo,
                    _loaded(BlockRow.of(row)),
                    row.master_key_id,
                    drop_others=True,
                )
                row.pending = False
            if rows:
                AuditLog(session, runtime.keyring).record(
                    AuditEvent(action="duplicates.match", detail={"cases": len(rows)})
                )
        done += len(rows)
        rounds += 1
        if len(rows) < batch_size or (batches is not None and rounds >= batches):
            return done


async def forget_case(session: AsyncSession, case_id: uuid.UUID) -> None:
    """Drop a case's encoding and every proposal naming it (on erasure)."""
    await DuplicateRepository(session).forget(case_id)


@dataclass(slots=True)
class ScanReport:
    """What one scan did."""

    cases: int = 0
    unreadable: int = 0


async def scan(runtime: Runtime, *, batch_size: int = 200) -> ScanReport:
    """(Re-)encode every live case under the active master key, in batches of one transaction.

    Decrypts each case under its data key (nothing leaves the process) and
    runs :func:`encode_case` on it; one audit entry per batch with counts.
    """
    report = ScanReport()
    vault = Vault(runtime.keyring)
    after: uuid.UUID | None = None
    while True:
        async with write_transaction(runtime.db) as session:
            rows = await DuplicateRepository(session).live_cases(after=after, limit=batch_size)
            unreadable = 0
            for record, stored in rows:
                try:
                    key = vault.unwrap(
                        WrappedKey(wrapped=stored.wrapped, master_key_id=stored.master_key_id),
                        record.id,
                    )
                    values = open_body(key, record.id, record.body)
                except SealedValueError:
                    unreadable += 1
                    continue
                await encode_case(session, runtime, record, values, rematch=True)
            if rows:
                AuditLog(session, runtime.keyring).record(
                    AuditEvent(
                        action="duplicates.scan",
                        object_type="master_key",
                        object_id=runtime.keyring.active_id,
                        detail={"cases": len(rows), "unreadable": unreadable},
                    )
                )
        if not rows:
            return report
        report.cases += len(rows)
        report.unreadable += unreadable
        after = rows[-1][0].id


def _side(case_id: uuid.UUID, operation_id: uuid.UUID, facets: str | None) -> CaseSide:
    code = msgspec.json.decode(facets).get("case_code") if facets else None
    return CaseSide(id=case_id, case_code=code, operation_id=operation_id)


def _out(found: ProposalRow) -> DuplicateOut:
    row = found.proposal
    return DuplicateOut(
        id=row.id,
        left=_side(row.left_case_id, found.left_operation_id, found.left_facets),
        right=_side(row.right_case_id, found.right_operation_id, found.right_facets),
        score=row.score,
        name_similarity=row.name_similarity,
        birth_year=row.birth_year,  # type: ignore[arg-type]
        nationality=row.nationality,  # type: ignore[arg-type]
        sex=row.sex,  # type: ignore[arg-type]
        status=row.status,  # type: ignore[arg-type]
        primary_case_id=row.primary_case_id,
        decided_at=row.decided_at,
        created_at=row.created_at,
    )


class DuplicateService:
    """Proposals for coordinators of both cases' operations; merges and dismissals."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.repo = DuplicateRepository(session)
        self.operations = OperationRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    def _refused(
        self, principal: Principal, object_type: str, object_id: uuid.UUID, action: str
    ) -> NotFound:
        return refused_as_not_found(
            N_("No such possible duplicate among your operations."),
            keyring=self.runtime.keyring,
            action=action,
            actor_id=principal.user_id,
            actor_role=principal.role,
            object_type=object_type,
            object_id=object_id,
        )

    async def _mine(self, principal: Principal) -> set[uuid.UUID]:
        return set(await self.operations.ids_for_member(principal.user_id))

    async def list(
        self,
        principal: Principal,
        *,
        operation_id: uuid.UUID,
        status: str | None,
        limit: int,
        offset: int,
    ) -> list[DuplicateOut]:
        """Proposals touching one of the caller's operations, best first (an audited read).

        Raises:
            NotFound: the operation is not one of the caller's (audited).
        """
        mine = await self._mine(principal)
        if operation_id not in mine:
            raise self._refused(principal, "operation", operation_id, "duplicate.list")
        rows = await self.repo.page(
            mine, operation_id=operation_id, status=status, limit=limit, offset=offset
        )
        self.audit.record(
            AuditEvent(
                action="duplicate.list",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="operation",
                object_id=str(operation_id),
                detail={"status": status, "results": len(rows)},
            )
        )
        return [_out(row) for row in rows]

    async def _decide(
        self,
        principal: Principal,
        proposal_id: uuid.UUID,
        *,
        status: str,
        primary: uuid.UUID | None,
    ) -> DuplicateOut:
        action = "duplicate.merge" if status == "merged" else "duplicate.dismiss"
        found = await self.repo.one(proposal_id, await self._mine(principal))
        if found is None:
            raise self._refused(principal, "duplicate", proposal_id, action)
        row = found.proposal
        if primary is not None and primary not in (row.left_case_id, row.right_case_id):
            raise ValidationFailed(
                N_("The primary case must be one of the two cases of the proposal."),
                errors=[
                    FieldError(
                        field="primary_case_id",
                        reason="not one of the two cases",
                        location="body",
                        code="not_in_pair",
                    )
                ],
            )
        now = utcnow()
        if not await self.repo.decide(
            proposal_id, status=status, primary=primary, by=principal.user_id, at=now
        ):
            raise Conflict(N_("This possible duplicate was already merged or dismissed."))
        self.audit.record(
            AuditEvent(
                action=action,
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="duplicate",
                object_id=str(proposal_id),
                detail={"primary_case_id": str(primary) if primary else None},
            )
        )
        row.status, row.primary_case_id, row.decided_at = status, primary, now
        return _out(found)

    async def merge(
        self, principal: Principal, proposal_id: uuid.UUID, *, primary_case_id: uuid.UUID
    ) -> DuplicateOut:
        """Link the two cases as one person, ``primary_case_id`` first; neither is deleted.

        Raises:
            NotFound: not a proposal whose two cases are in the caller's operations (audited).
            ValidationFailed: the primary case is not one of the two.
            Conflict: the proposal was already decided.
        """
        return await self._decide(principal, proposal_id, status="merged", primary=primary_case_id)

    async def dismiss(self, principal: Principal, proposal_id: uuid.UUID) -> DuplicateOut:
        """Record that the two cases are different people; the pair is never proposed again.

        Raises:
            NotFound: not a proposal whose two cases are in the caller's operations (audited).
            Conflict: the proposal was already decided.
        """
        return await self._decide(principal, proposal_id, status="dismissed", primary=None)
