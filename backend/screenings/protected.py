"""The promise "Your answer will not be used against you", kept at every exit.

Answers to items an instrument marks ``protected`` (scam_compound:
``secret_crossing``, ``afraid_of_arrest``) count for the person's own
assessment, which their coordinator sees, but nothing that leaves the
coordinator's view may rest on them. Every exit uses what this module gives
instead of the full assessment:

* the published summary counts the **shared** band and flags of each case
  (:func:`shared_by_case`), read from the screening's readable facets
  (:func:`shared_facets` computes them when sync writes the screening);
* the referral package takes its needs from the shareable assessment of each
  completed screening (:func:`shareable_flags`);
* investigators and their exports only ever see the linkage index, which is
  built from disclosures, never from screenings, and a protected item may not
  feed a disclosure (the instrument validator refuses it).

The rule itself (leave the protected answers out, then assess) is
:func:`screening.shareable_assessment`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from backend.db.models import Record
from screening import (
    Assessment,
    InstrumentRegistry,
    ScreeningError,
    UnknownInstrument,
    decode_answers,
    shareable_assessment,
)

__all__ = ["SHARED_BAND", "SHARED_FLAGS", "shareable_flags", "shared_by_case", "shared_facets"]

#: Facet keys of a completed screening: the band and flags that may leave the coordinator's view.
SHARED_BAND = "shared_band"
SHARED_FLAGS = "shared_flags"


def _shareable(registry: InstrumentRegistry, values: Mapping[str, Any]) -> Assessment | None:
    """The shareable assessment of a screening's stored values; None if not completed."""
    completed = values.get("completed_at")
    if not completed:
        return None
    key = str(values.get("instrument_key"))
    try:
        instrument = registry.get(key, int(values.get("instrument_version") or 0))
        return shareable_assessment(
            instrument,
            decode_answers(values.get("answers") or {}),
            as_of=dt.datetime.fromisoformat(str(completed)).date(),
            protected=registry.protected_items(key),
        )
    except (UnknownInstrument, ScreeningError, ValueError):
        return None  # sync refuses such a screening; nothing is shared from it


def shared_facets(registry: InstrumentRegistry, values: Mapping[str, Any]) -> dict[str, Any]:
    """The readable facets that exits may use, for a screening sync writes.

    Merged into the facets the record store keeps for a screening
    (``backend.sync.facets.facets``). Empty until the screening is completed.
    """
    shared = _shareable(registry, values)
    if shared is None:
        return {}
    return {SHARED_BAND: shared.band, SHARED_FLAGS: sorted(f.flag for f in shared.flags)}


def shareable_flags(registry: InstrumentRegistry, values: Mapping[str, Any]) -> set[str]:
    """The flags of a completed screening that rest on no protected answer."""
    shared = _shareable(registry, values)
    return set() if shared is None else {f.flag for f in shared.flags}


def shared_by_case(records: Iterable[Record]) -> dict[uuid.UUID, tuple[str | None, set[str]]]:
    """Per case, the band of its latest completed screening and the flags of all of them,
    as the triage list takes them, but from the shared facets only.

    A completed screening without shared facets (written before they existed)
    shares nothing: the promise fails closed, the summary counts it "not recorded".
    """
    shared: dict[uuid.UUID, tuple[str | None, set[str]]] = {}
    screenings = sorted((r for r in records if r.entity == "screening"), key=lambda r: r.updated_at)
    for record in screenings:
        facets = msgspec.json.decode(record.facets)
        if not facets.get("completed"):
            continue
        _, flags = shared.get(record.case_id, (None, set()))
        band = facets.get(SHARED_BAND)
        shared[record.case_id] = (
            str(band) if band else None,
            flags | {str(f) for f in facets.get(SHARED_FLAGS) or ()},
        )
    return shared
