"""The linkage index, kept in step with what sync writes.

The record store hands :class:`LinkageProjector` every record it writes (a
projector registered at start-up). A disclosure is opened once, here, under
its case's key, and turned into index rows; a deleted case drops out. Whether
a case's rows may reach investigators is asked of the one consent rule
(``backend.consent``) in every query, not kept here. The rows wait in the transaction (a savepoint that rolls back
forgets its own) and are written as the transaction's last statements, so the
index changes exactly when the records do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.access.policy import SEALED_ROLES
from backend.audit.services import AuditEvent, AuditLog
from backend.crypto.keys import KeyRing
from backend.crypto.vault import DataKey as PlainKey
from backend.crypto.vault import Vault, WrappedKey
from backend.db.models import Record
from backend.db.outbox import CommitStage, RecordWritten
from backend.investigations.repositories import (
    LinkageRepository,
    ProjectionOp,
    apply_projection,
)
from backend.linkage.addresses import CHAINS, Chain, InvalidValue, normalize
from backend.linkage.addresses.amounts import Amount, Asset
from backend.linkage.addresses.partials import PartialAddress
from backend.linkage.addresses.txids import normalize_txid
from backend.runtime import Runtime
from backend.sync.sealing import open_body

__all__ = [
    "LINKAGE_STAGE",
    "LinkageProjector",
    "WalletTagger",
    "disclosure_rows",
    "record_op",
    "reindex",
    "search_key",
    "stage_projection",
    "victims_own",
]

#: ``session.info`` key under which a transaction's index changes wait.
PROJECTION_BUFFER = "lantern.linkage.projection"
_PARTIAL_MARKS = ("…", "...")
_PROJECTED = frozenset({"case", "disclosure"})


class WalletTagger:
    """HMAC(wallet-lookup key, "chain:canonical"): how the index finds an address.

    Never an unkeyed hash: addresses are public and enumerable.
    """

    def __init__(self, keyring: KeyRing, *, key_id: str | None = None) -> None:
        #: The master key the tags are made under (stored beside them, for rotation).
        self.key_id = key_id or keyring.active_id
        self._key = keyring.derive("pseudonym-wallet", key_id=self.key_id)

    def tag(self, chain: str, canonical: str) -> bytes:
        """The lookup tag of one canonical address on one chain."""
        return hmac.new(self._key, f"{chain}:{canonical}".encode(), hashlib.sha256).digest()

    def partials(self, chain: str) -> bytes:
        """The tag every partial address of a chain is filed under."""
        return hmac.new(self._key, f"partial:{chain}".encode(), hashlib.sha256).digest()


def search_key(chain: str, text: str) -> str:
    """The spelling partial search compares: no cashaddr prefix, lower case for EVM."""
    if chain == "ethereum":
        return text.lower()
    if chain == "bitcoin-cash" and text.lower().startswith("bitcoincash:"):
        return text[len("bitcoincash:") :]
    return text


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _amount(chain: Chain, asset: Any, amount: Any) -> tuple[str | None, str | None]:
    """The asset's symbol, and the amount as exact decimal text when it is one."""
    symbol = asset.strip().upper()[:48] or None if isinstance(asset, str) else None
    if symbol is None or not isinstance(amount, str):
        return symbol, None
    try:
        parsed = Amount.parse(amount, asset=Asset(chain=chain, symbol=symbol))
    except InvalidValue:
        return symbol, None
    return symbol, format(parsed.value, "f")


#: Roles of a payment the victim took part in on chain (they paid it, or were paid).
_VICTIM_PARTY_ROLES = frozenset({"paid_to_perpetrator", "wage_source"})


def victims_own(kind: Any, role: str, direction: Any) -> bool:
    """Whether a disclosure is the victim's own: sealed like their wallet.

    Their wallet (``victim_own``); and a payment or transaction they sent or
    received (``direction`` sent or received; without a direction, a payment
    to a perpetrator or of wages): its hash, or its counterparty with the
    exact amount and date, finds the transaction on a public chain, and the
    chain names the victim's own wallet as its sender or receiver.
    """
    if role in SEALED_ROLES:
        return True
    if kind not in {"payment", "transaction"}:
        return False
    if direction in {"sent", "received"}:
        return True
    return role in _VICTIM_PARTY_ROLES


def disclosure_rows(
    values: Mapping[str, Any],
    *,
    record_id: uuid.UUID,
    case_id: uuid.UUID,
    operation_id: uuid.UUID,
    disclosed_on: dt.date,
    tagger: WalletTagger,
) -> list[dict[str, Any]]:
    """The index rows of one disclosure: one per chain its value is valid on.

    A recruiter identifier (a phone, a handle) is not chain data and is never
    indexed; an invalid value is not indexed either (it waits, as entered, for
    a coordinator to correct). A victim's own wallet, or a payment they took part
    in (:func:`victims_own`), keeps only its lookup tag; a transaction of theirs
    is not indexed.
    """
    kind, role, raw = values.get("kind"), values.get("role"), values.get("raw")
    if kind not in {"wallet", "payment", "transaction"} or not isinstance(raw, str):
        return []
    role = role if isinstance(role, str) else "unknown"
    given = values.get("chain")
    chain: Chain | None = given if given in CHAINS else None
    sealed = victims_own(kind, role, values.get("direction"))
    base: dict[str, Any] = {
        "record_id": record_id,
        "case_id": case_id,
        "operation_id": operation_id,
        "kind": kind,
        "role": role,
        "lookup_tag": None,
        "key_id": tagger.key_id,
        "address": None,
        "tx_hash": None,
        "search_key": None,
        "search_reversed": None,
        "partial_prefix": None,
        "partial_suffix": None,
        "date_from": _date(values.get("date_from")),
        "date_to": _date(values.get("date_to")) or _date(values.get("date_from")),
        "disclosed_on": disclosed_on,
        "sealed": sealed,
    }

    def row(on: Chain, **extra: Any) -> dict[str, Any]:
        asset, amount = _amount(on, values.get("asset"), values.get("amount"))
        return {**base, "chain": on, "asset": asset, "amount": amount, **extra}

    if chain is not None and kind != "transaction" and any(m in raw for m in _PARTIAL_MARKS):
        mark = next(m for m in _PARTIAL_MARKS if m in raw)
        prefix, _, suffix = raw.partition(mark)
        try:
            partial = PartialAddress(chain=chain, prefix=prefix, suffix=suffix)
        except InvalidValue:
            return []
        if sealed:
            return []  # a partial of a victim's own wallet finds nobody else's
        return [
            row(
                chain,
                lookup_tag=tagger.partials(chain),
                partial_prefix=partial.prefix,
                partial_suffix=partial.suffix,
            )
        ]
    if kind in {"wallet", "payment"}:
        try:
            candidates = normalize(raw, chain)
        except InvalidValue:
            candidates = []
        if candidates:
            rows = []
            for candidate in candidates:
                key = search_key(candidate.chain, candidate.canonical)
                rows.append(
                    row(
                        candidate.chain,
                        lookup_tag=tagger.tag(candidate.chain, candidate.canonical),
                        address=None if sealed else candidate.canonical,
                        search_key=None if sealed else key,
                        search_reversed=None if sealed else key[::-1],
                    )
                )
            return rows
        if kind == "wallet":
            return []
    if chain is None or sealed:
        return []  # a victim's own payment's hash names their wallet
    try:
        txid = normalize_txid(raw, chain)
    except InvalidValue:
        return []
    return [row(chain, tx_hash=txid)]


@dataclass
class ProjectionBuffer:
    """A transaction's index changes, in order (rewound by savepoints)."""

    ops: list[ProjectionOp] = field(default_factory=list)

    def mark(self) -> int:
        """How many changes are buffered."""
        return len(self.ops)

    def rewind(self, mark: int) -> None:
        """Forget the changes a rolled-back savepoint made."""
        del self.ops[mark:]


def _buffer(session: AsyncSession) -> ProjectionBuffer:
    found: ProjectionBuffer | None = session.info.get(PROJECTION_BUFFER)
    if found is None:
        found = session.info[PROJECTION_BUFFER] = ProjectionBuffer()
    return found


def record_op(record: Record, key: PlainKey | None, tagger: WalletTagger) -> ProjectionOp | None:
    """What one record, as stored now, means for the index (None: nothing)."""
    if record.entity == "case":
        return ProjectionOp(forget_case=record.case_id) if record.deleted else None
    if record.entity != "disclosure":
        return None
    rows: list[dict[str, Any]] = []
    if not record.deleted and key is not None:
        values = open_body(key, record.id, record.body)
        rows = disclosure_rows(
            values,
            record_id=record.id,
            case_id=record.case_id,
            operation_id=record.operation_id,
            disclosed_on=record.created_at.date(),
            tagger=tagger,
        )
    return ProjectionOp(record_id=record.id, rows=rows)


def stage_projection(
    session: AsyncSession, runtime: Runtime, record: Record, key: PlainKey | None
) -> None:
    """Note what a record just written by sync changes in the linkage index.

    Called once per record write (create, update, delete, conflict resolution)
    with the case's data key when sync holds it. Only disclosures, consents
    and case deletions matter; the rest is ignored at no cost.
    """
    if record.entity not in _PROJECTED:
        return
    op = record_op(record, key, WalletTagger(runtime.keyring))
    if op is not None:
        _buffer(session).ops.append(op)


async def reindex(session: AsyncSession, runtime: Runtime, *, page: int = 1000) -> int:
    """Rebuild the index from ``sync_records``, opening each disclosure under its case's key.

    For data that arrived before the index existed, or after a master-key
    rotation (lookup tags are made under the active key). Returns the number
    of records read. Legal bases recorded for cases are kept.
    """
    index = LinkageRepository(session)
    await index.clear()
    vault = Vault(runtime.keyring)
    tagger = WalletTagger(runtime.keyring)
    after: uuid.UUID | None = None
    count = 0
    while records := await index.projected_records(after=after, limit=page):
        stored = await index.data_keys({r.case_id for r in records if r.entity == "disclosure"})
        keys = {
            owner: vault.unwrap(WrappedKey(wrapped=k.wrapped, master_key_id=k.master_key_id), owner)
            for owner, k in stored.items()
        }
        ops = [record_op(r, keys.get(r.case_id), tagger) for r in records]
        await index.apply([op for op in ops if op is not None])
        count += len(records)
        after = records[-1].id
    AuditLog(session, runtime.keyring).record(
        AuditEvent(action="linkage.reindex", actor_role="cli", detail={"records": count})
    )
    return count


def _write_staged(session: Session) -> None:
    """Write the staged index changes as the transaction's last statements."""
    buffer: ProjectionBuffer | None = session.info.pop(PROJECTION_BUFFER, None)
    if buffer is not None and buffer.ops:
        apply_projection(session, buffer.ops)


def _discard_staged(session: Session) -> None:
    """A rolled-back transaction changed nothing in the index."""
    session.info.pop(PROJECTION_BUFFER, None)


#: The linkage index's commit stage (installed at start-up by ``backend.app``).
LINKAGE_STAGE = CommitStage(name="linkage index", write=_write_staged, discard=_discard_staged)


class LinkageProjector:
    """Keeps the linkage index in step with synced records (registered at start-up)."""

    name = "linkage index"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def written(self, session: AsyncSession, event: RecordWritten) -> None:
        """Stage what the written record changes in the index."""
        stage_projection(session, self.runtime, event.record, event.key)
