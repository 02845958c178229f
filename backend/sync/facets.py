"""What stays readable beside a sealed record: the few values triage filters on.

Pure helpers (no database): the case's age group, a nationality's keyed blind
index, a disclosure's checksum verdict. The record store computes them on every
write; cases and the summary match filters against them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from backend.crypto.keys import KeyRing
from backend.crypto.pseudonyms import pseudonym, pseudonyms_under_every_key
from backend.linkage.addresses import CHAINS, InvalidValue, normalize
from backend.linkage.addresses.txids import normalize_txid
from backend.screenings.protected import shared_facets
from screening import InstrumentRegistry

__all__ = [
    "age_group",
    "checked",
    "facets",
    "nationality_tag",
    "nationality_tags",
    "readable",
    "uuid_or_none",
]


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID, or ``None`` when it is empty or not one."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def age_group(values: Mapping[str, Any], today: dt.date) -> str:
    """``child`` (under 18), ``adult`` or ``unknown``, from a date of birth or an estimate."""
    born = values.get("date_of_birth")
    if isinstance(born, str):
        try:
            born = dt.date.fromisoformat(born)
        except ValueError:
            born = None
    age = None
    if isinstance(born, dt.date):
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    elif isinstance(values.get("age_estimate"), int):
        age = values["age_estimate"]
    if age is None:
        return "unknown"
    return "child" if age < 18 else "adult"


def nationality_tag(keyring: KeyRing, nationality: str) -> str:
    """The keyed blind index of a nationality, under the active key (what a write stores)."""
    return pseudonym(keyring, "blind-index", "nationality", nationality.upper())[:16].hex()


def nationality_tags(keyring: KeyRing, nationality: str) -> frozenset[str]:
    """The nationality's blind index under every master key held.

    What a filter or a count matches against: a case written before a rotation
    keeps the tag made under the key active then, which stays matchable while
    the key file holds that key.
    """
    return frozenset(
        tag[:16].hex()
        for tag in pseudonyms_under_every_key(
            keyring, "blind-index", "nationality", nationality.upper()
        )
    )


def checked(values: Mapping[str, Any]) -> dict[str, Any]:
    """Whether a disclosed wallet or transaction id is valid, and on which chains.

    The value stays as entered (a typo is never corrected or dropped); an invalid
    one is marked with the reason so a coordinator can ask again. Only the
    verdict is kept readable: the address itself stays sealed, since a victim's
    own wallet is personal data.
    """
    raw = values.get("raw")
    chain = values.get("chain")
    kind = values.get("kind")
    if not isinstance(raw, str) or kind not in {"wallet", "transaction"}:
        return {}
    known_chain = chain if chain in CHAINS else None
    try:
        if kind == "wallet":
            chains = sorted({c.chain for c in normalize(raw, known_chain)})
        elif known_chain is None:
            return {"check": "unchecked", "check_reason": "no known chain given"}
        else:
            normalize_txid(raw, known_chain)
            chains = [known_chain]
    except InvalidValue as exc:
        return {"check": "invalid", "check_code": exc.code, "check_reason": exc.reason}
    return {"check": "valid", "chains": chains}


def facets(
    keyring: KeyRing,
    entity: str,
    values: Mapping[str, Any],
    instruments: InstrumentRegistry | None = None,
) -> dict[str, Any]:
    """The non-identifying values triage filters on, kept readable.

    A nationality is personal data: it is kept only as a keyed blind index,
    which a filter can match but nobody can read back without the key. A
    completed screening also keeps its *shared* band and flags (those that rest
    on no protected answer: ``backend.screenings.protected``), which are all that
    published summaries count.
    """
    if entity == "case":
        assigned = values.get("assigned_to")
        nationality = values.get("nationality")
        return {
            "case_code": values.get("case_code"),
            "age_group": age_group(values, dt.date.today()),
            "assigned_to": str(assigned) if assigned else None,
            "nationality_tag": nationality_tag(keyring, nationality) if nationality else None,
        }
    if entity == "consent":
        return {
            "purpose": values.get("purpose"),
            "state": values.get("state"),
            "recorded_at": values.get("recorded_at"),
            "supersedes": values.get("supersedes"),
        }
    if entity == "referral":
        return {"service": values.get("service"), "status": values.get("status")}
    if entity == "disclosure":
        return {"kind": values.get("kind"), "role": values.get("role"), **checked(values)}
    if entity == "screening":
        assessment = values.get("assessment") or {}
        return {
            "instrument_key": values.get("instrument_key"),
            "instrument_version": values.get("instrument_version"),
            "completed": bool(values.get("completed_at")),
            "band": assessment.get("band"),
            "flags": sorted(
                f["flag"] if isinstance(f, dict) else str(f) for f in assessment.get("flags") or []
            ),
            **(shared_facets(instruments, values) if instruments is not None else {}),
        }
    return {}


def readable(
    keyring: KeyRing,
    entity: str,
    values: Mapping[str, Any],
    instruments: InstrumentRegistry | None = None,
) -> tuple[str, uuid.UUID | None]:
    """The columns kept readable beside a sealed body: its facets (JSON), and a case's assignee."""
    assigned = uuid_or_none(values.get("assigned_to")) if entity == "case" else None
    found = facets(keyring, entity, values, instruments)
    return msgspec.json.encode(found).decode(), assigned
