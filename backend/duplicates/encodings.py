"""Person encodings of cases, and the proposals made from them (the matching half of duplicates).

- :func:`encode_case` runs when sync writes a case: it reads the name, date
  of birth (or age estimate), nationality, sex, document numbers and contacts
  from the case's values (:func:`person_of`), encodes them (``backend.matching``)
  under the ``person-match`` key of the active master key, and stores the
  encoding as pending. Nothing is merged.
- :func:`match_pending` compares pending encodings with their blocks and
  proposes every case that scores at least :data:`PROPOSE_AT`.
- :func:`scan` (``lantern duplicates scan``) re-encodes every live case, for
  cases that predate this, and after a master-key rotation (an encoding names
  its master key; encodings under different keys are never compared).
- :func:`forget_case` drops a case's encoding and proposals (erasure).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.services import AuditEvent, AuditLog
from backend.crypto.vault import SealedValueError, Vault, WrappedKey
from backend.db.base import utcnow
from backend.db.models import DuplicateProposal, PersonEncoding, Record
from backend.db.outbox import RecordWritten
from backend.db.session import write_transaction
from backend.duplicates.repositories import BlockRow, DuplicateRepository
from backend.matching import EncodedPerson, Sex, dice, encode_person, name_floor, score_pair
from backend.runtime import Runtime
from backend.sync.sealing import open_body

__all__ = [
    "PROPOSE_AT",
    "DuplicateProjector",
    "Person",
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
    """What matching reads of a case: name as written, birth date or year, country, sex, identifiers."""

    name: str
    birth_year: int | None
    nationality: str | None
    sex: Sex | None
    birth_date: dt.date | None = None
    documents: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()


def _date(value: object) -> tuple[dt.date | None, int | None]:
    """A date of birth as stored (ISO text): the full date, or only its year when that is all there is."""
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]), None
    except ValueError:
        year = text[:4]
        return None, int(year) if year.isdigit() else None


def _strings(items: object, key: str) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        str(item[key]) for item in items if isinstance(item, Mapping) and item.get(key) is not None
    )


def person_of(values: Mapping[str, Any], recorded: dt.datetime) -> Person | None:
    """The matching fields of a case's decrypted values; ``None`` when it has no name.

    The birth date is the recorded one (a Buddhist-Era year is converted by
    the encoder); without it, the birth year is the year of recording minus
    an age estimate. Documents are their numbers, contacts their values.
    """
    parts = [values.get("given_names"), values.get("family_name")]
    name = " ".join(str(p).strip() for p in parts if p and str(p).strip())
    if not name:
        return None
    year: int | None = None
    born: dt.date | None = None
    if values.get("date_of_birth"):
        born, year = _date(values["date_of_birth"])
    elif isinstance(values.get("age_estimate"), int):
        year = recorded.year - int(values["age_estimate"])
    sex = values.get("sex")
    nationality = values.get("nationality")
    return Person(
        name=name,
        birth_year=year,
        nationality=str(nationality) if nationality else None,
        sex=sex if sex in _SEXES else None,
        birth_date=born,
        documents=_strings(values.get("documents"), "number"),
        contacts=_strings(values.get("contacts"), "value"),
    )


def _joined(tokens: frozenset[bytes]) -> bytes:
    return b"".join(sorted(tokens))


def _split(joined: bytes | None) -> frozenset[bytes]:
    if not joined:
        return frozenset()
    return frozenset(joined[i : i + _TOKEN] for i in range(0, len(joined), _TOKEN))


def _stored(encoded: EncodedPerson, record: Record, master_key_id: str) -> PersonEncoding:
    return PersonEncoding(
        case_id=record.id,
        master_key_id=master_key_id,
        name_filter=encoded.name_filter_bytes(),
        birth_year=encoded.birth_year,
        birth_year_window=_joined(encoded.birth_year_window),
        birth_year_block=_joined(encoded.birth_year_block),
        nationality=encoded.nationality,
        sex=encoded.sex,
        birth_day=encoded.birth_day,
        birth_day_swapped=encoded.birth_day_swapped,
        documents=_joined(encoded.documents),
        documents_near=_joined(encoded.documents_near),
        contacts=_joined(encoded.contacts),
        contacts_near=_joined(encoded.contacts_near),
        updated_at=utcnow(),
    )


def _loaded(row: BlockRow) -> EncodedPerson:
    return EncodedPerson(
        record_id=str(row.case_id),
        name_filter=int.from_bytes(row.name_filter, "big"),
        birth_year=row.birth_year,
        birth_year_window=_split(row.birth_year_window),
        birth_year_block=_split(row.birth_year_block or row.birth_year_window),
        nationality=row.nationality,
        sex=row.sex,
        birth_day=row.birth_day,
        birth_day_swapped=row.birth_day_swapped,
        documents=_split(row.documents),
        documents_near=_split(row.documents_near),
        contacts=_split(row.contacts),
        contacts_near=_split(row.contacts_near),
    )


#: The columns an encoding is made of (what a re-encoding replaces).
_ENCODED = (
    "master_key_id",
    "name_filter",
    "birth_year",
    "birth_year_window",
    "birth_year_block",
    "nationality",
    "sex",
    "birth_day",
    "birth_day_swapped",
    "documents",
    "documents_near",
    "contacts",
    "contacts_near",
    "updated_at",
)


def _same(a: PersonEncoding, b: PersonEncoding) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in _ENCODED if f != "updated_at")


class DuplicateProjector:
    """Encodes each case sync writes for matching (registered at start-up).

    Only the encoding is stored here, as pending; the server's loop and
    ``lantern duplicates match`` compare pending encodings with their blocks.
    """

    name = "person encodings"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def written(self, session: AsyncSession, event: RecordWritten) -> None:
        """Encode a case whose fields were written."""
        if event.record.entity == "case" and event.op == "upsert" and event.values is not None:
            await encode_case(session, self.runtime, event.record, event.values, compare=False)


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
                birth_date=person.birth_date,
                documents=person.documents,
                contacts=person.contacts,
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
    tokens = encoded.documents_near | encoded.contacts_near
    if previous is None:
        repo.add_encoding(stored)
        if rematch:  # a scan: tokens of an encoding deleted without them may linger
            await repo.set_tokens(record.id, tokens)
        else:
            repo.add_tokens(record.id, tokens)
    elif _same(previous, stored) and not rematch:
        return
    else:
        for name in _ENCODED:
            setattr(previous, name, getattr(stored, name))
        previous.pending = not compare
        await repo.set_tokens(record.id, tokens)
    if compare:
        await _propose(repo, encoded, key_id, drop_others=previous is not None)


async def _propose(
    repo: DuplicateRepository, encoded: EncodedPerson, key_id: str, *, drop_others: bool
) -> None:
    """Propose every case in the encoding's block that scores high enough."""
    case_id = uuid.UUID(encoded.record_id)
    years = None if encoded.birth_year is None else encoded.birth_year_block
    kept: set[uuid.UUID] = set()
    # Most of a block is ruled out on the name alone, before anything else is
    # read: below ``name_floor`` no agreement but a shared document or
    # contact can reach PROPOSE_AT.
    floor = name_floor(PROPOSE_AT)
    identifiers = encoded.documents_near | encoded.contacts_near
    close = {
        uuid.UUID(str(other_id))
        for other_id, name_filter, others in await repo.block(
            master_key_id=key_id, years=years, exclude=case_id
        )
        if dice(encoded.name_filter, int.from_bytes(name_filter, "big")) >= floor
        or (identifiers and identifiers & _split(others))
    }
    # A shared document or contact joins two cases whatever their years.
    close.update(await repo.sharing(master_key_id=key_id, tokens=identifiers, exclude=case_id))
    rows = await repo.encodings(close)
    # How common each name is among all encodings under this key (a common
    # name says less): identical filters, counted blind.
    own = encoded.name_filter_bytes()
    counts = await repo.name_counts(
        master_key_id=key_id, filters=[own, *(row.name_filter for row in rows)]
    )
    for other in rows:
        common = max(counts.get(own, 1), counts.get(bytes(other.name_filter), 1))
        found = score_pair(encoded, _loaded(other), name_count=common)
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
                birth_day=found.birth_day,
                documents=found.documents,
                contacts=found.contacts,
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
