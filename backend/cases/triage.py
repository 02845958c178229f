"""A case's triage line, computed from its records' readable facets (never sealed bodies).

One computation for the triage projection (written as records are written),
its rebuild, and the operation summary: urgent first, a child with immediate
needs at the top.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec

__all__ = ["TRIAGE_ENTITIES", "FacetRow", "TriageFacts", "triage_facts", "urgency"]

#: The records whose facets make a case's triage line.
TRIAGE_ENTITIES = ("case", "screening", "referral", "consent")


def urgency(*, flags: set[str], band: str | None) -> int:
    """Lower is more urgent: a child with immediate needs first."""
    child, needs = "child" in flags, "immediate_needs" in flags
    if child and needs:
        return 0
    if needs:
        return 1
    if child:
        return 2
    if "forced_criminality" in flags:
        return 3
    return {"strong_indicators": 4, "some_indicators": 5}.get(band or "", 6)


class FacetRow(NamedTuple):
    """One live record of a case, as far as triage reads it."""

    entity: str
    case_id: uuid.UUID
    operation_id: uuid.UUID
    facets: str
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageFacts:
    """What triage knows of one case."""

    case_id: uuid.UUID
    operation_id: uuid.UUID
    case_facets: dict[str, Any]
    band: str | None
    flags: frozenset[str]
    referral_statuses: tuple[str, ...]
    urgency: int
    updated_at: dt.datetime


def triage_facts(rows: Iterable[FacetRow]) -> list[TriageFacts]:
    """One line per case that has a live case record among ``rows``.

    The band is that of the latest completed screening; flags are those of
    every completed screening; the referral statuses are every referral's.
    """
    by_case: dict[uuid.UUID, list[FacetRow]] = defaultdict(list)
    for row in rows:
        by_case[row.case_id].append(row)
    out = []
    for case_id, group in by_case.items():
        case = next((r for r in group if r.entity == "case"), None)
        if case is None:
            continue
        band, flags = None, set()
        for screening in sorted(
            (r for r in group if r.entity == "screening"), key=lambda r: r.updated_at
        ):
            details = msgspec.json.decode(screening.facets)
            if details.get("completed"):
                band = details.get("band")
                flags |= set(details.get("flags") or [])
        referrals = sorted(
            {
                str(msgspec.json.decode(r.facets).get("status"))
                for r in group
                if r.entity == "referral"
            }
        )
        out.append(
            TriageFacts(
                case_id=case_id,
                operation_id=case.operation_id,
                case_facets=msgspec.json.decode(case.facets),
                band=band,
                flags=frozenset(flags),
                referral_statuses=tuple(referrals),
                urgency=urgency(flags=flags, band=band),
                updated_at=max(r.updated_at for r in group),
            )
        )
    return out
