"""Candidate duplicate pairs: blocking on birth year, scoring, proposals only.

Nothing here merges anything. ``candidate_pairs`` returns proposals for a
coordinator, who merges (keeping both histories) or dismisses.

The score is a log-odds sum, as in Fellegi and Sunter's record linkage: the
name's Dice coefficient gives a base (``NAME_SLOPE · (dice - NAME_CENTRE)``,
plus ``NAME_EXACT`` for identical names), less ``NAME_COMMON · ln(n)`` when
the name is shared by ``n`` records (agreeing on a common name says less
than agreeing on a rare one; the count is of identical keyed filters, so it
needs no name in clear), and each other field adds the weight of how it compares (``FIELD_WEIGHTS``):
positive when agreement is likelier for one person than for two, negative
when disagreement is, nothing when unknown. The sum goes through the logistic
function, so the score is in (0, 1) and ``PROPOSE_AT``-style thresholds keep
their meaning. A shared document number can thus carry a pair whose names were
written very differently, and a different day of birth can separate
namesakes born the same year.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from backend.matching.encoding import EncodedPerson, dice

__all__ = [
    "FIELD_WEIGHTS",
    "NAME_CENTRE",
    "NAME_COMMON",
    "NAME_EXACT",
    "NAME_SLOPE",
    "Agreement",
    "Proposal",
    "candidate_pairs",
    "name_floor",
    "reasons",
    "score_pair",
]

#: How a field of two records compares. ``adjacent``: birth years one apart;
#: ``near``: birth years in each other's blocking window but further apart, or
#: identifiers one character apart; ``swapped``: day and month read the other
#: way round.
Agreement = Literal["same", "adjacent", "near", "swapped", "different", "unknown"]

#: The name's log-odds: ``NAME_SLOPE · (dice - NAME_CENTRE)``.
NAME_SLOPE = 15.6
NAME_CENTRE = 1.02
#: Log-odds added when the two names are identical after normalisation.
NAME_EXACT = 1.15
#: Log-odds taken per ``ln(n)`` when ``n`` records share the name.
NAME_COMMON = 1.55

#: Log-odds added per field and agreement; an absent agreement is 0 (unknown
#: is no evidence either way). Fitted by logistic regression on the raid-like
#: development populations (``python -m bench.matching_fit``, seeds 101-102,
#: 1,500 people each), never on the held-out seeds, then rounded and made
#: monotonic where the fit had too few examples to say (a document one
#: character off, a nationality). A differing nationality or sex lowers the
#: score but does not exclude the pair: both are mis-recorded at chaotic sites.
FIELD_WEIGHTS: dict[str, dict[Agreement, float]] = {
    "birth_year": {"same": 2.8, "adjacent": 1.2, "near": 0.4, "different": -1.1},
    "birth_day": {"same": 5.2, "swapped": 2.9, "different": -2.0},
    "nationality": {"same": 0.0, "different": -0.3},
    "sex": {"same": 0.6, "different": -1.7},
    "documents": {"same": 8.1, "near": 7.5, "different": -4.1},
    "contacts": {"same": 5.0, "near": 0.0, "different": -1.2},
}

#: Fields in the order reasons name them.
_FIELDS = ("birth_year", "birth_day", "nationality", "sex", "documents", "contacts")


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A possible duplicate, for a coordinator to merge or dismiss.

    Attributes:
        left_id: The smaller record id of the pair.
        right_id: The larger record id.
        score: The logistic of the summed log-odds, in (0, 1).
        name_similarity: The Dice coefficient of the two name filters.
        birth_year: How the birth years compare.
        nationality: How the nationalities compare.
        sex: How the recorded sexes compare.
        birth_day: How the days and months of birth compare.
        documents: How the document numbers compare.
        contacts: How the contacts compare.
    """

    left_id: str
    right_id: str
    score: float
    name_similarity: float
    birth_year: Agreement
    nationality: Agreement
    sex: Agreement
    birth_day: Agreement = "unknown"
    documents: Agreement = "unknown"
    contacts: Agreement = "unknown"

    def agreements(self) -> dict[str, Agreement]:
        """How each field other than the name compares."""
        return {field: getattr(self, field) for field in _FIELDS}


def _agreement(a: bytes | None, b: bytes | None) -> Agreement:
    if a is None or b is None:
        return "unknown"
    return "same" if a == b else "different"


def _year(a: EncodedPerson, b: EncodedPerson) -> Agreement:
    found = _agreement(a.birth_year, b.birth_year)
    if found != "different":
        return found
    if a.birth_year in b.birth_year_window:
        return "adjacent"
    if a.birth_year in b.birth_year_block or b.birth_year in a.birth_year_block:
        return "near"
    return "different"


def _day(a: EncodedPerson, b: EncodedPerson) -> Agreement:
    found = _agreement(a.birth_day, b.birth_day)
    if found == "different" and a.birth_day_swapped is not None:
        return "swapped" if a.birth_day_swapped == b.birth_day else "different"
    return found


def _identifiers(
    exact: tuple[frozenset[bytes], frozenset[bytes]],
    near: tuple[frozenset[bytes], frozenset[bytes]],
) -> Agreement:
    if not exact[0] or not exact[1]:
        return "unknown"
    if exact[0] & exact[1]:
        return "same"
    return "near" if near[0] & near[1] else "different"


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def score_pair(a: EncodedPerson, b: EncodedPerson, *, name_count: int = 1) -> Proposal:
    """Score two encoded records (whatever their blocks).

    Args:
        a: One record.
        b: The other.
        name_count: How many records (these two included) have the more
            common of the two names, as identical filters; 1 when not counted.
    """
    name = dice(a.name_filter, b.name_filter)
    found: dict[str, Agreement] = {
        "birth_year": _year(a, b),
        "birth_day": _day(a, b),
        "nationality": _agreement(a.nationality, b.nationality),
        "sex": _agreement(a.sex, b.sex),
        "documents": _identifiers((a.documents, b.documents), (a.documents_near, b.documents_near)),
        "contacts": _identifiers((a.contacts, b.contacts), (a.contacts_near, b.contacts_near)),
    }
    z = NAME_SLOPE * (name - NAME_CENTRE) - NAME_COMMON * math.log(max(name_count, 1))
    if name == 1.0:  # identical filters (two empty ones score 0)
        z += NAME_EXACT
    z += sum(FIELD_WEIGHTS[field].get(agreement, 0.0) for field, agreement in found.items())
    left, right = sorted((a.record_id, b.record_id))
    return Proposal(
        left_id=left,
        right_id=right,
        score=_logistic(z),
        name_similarity=name,
        birth_year=found["birth_year"],
        nationality=found["nationality"],
        sex=found["sex"],
        birth_day=found["birth_day"],
        documents=found["documents"],
        contacts=found["contacts"],
    )


def name_floor(threshold: float) -> float:
    """The lowest name similarity that can still score ``threshold`` without a shared identifier.

    Every field but documents and contacts at its best agreement; a pair
    whose names are further apart needs a document or contact in common
    (callers prefilter large blocks with it).
    """
    best = NAME_EXACT + sum(
        max(FIELD_WEIGHTS[f].values()) for f in _FIELDS if f not in {"documents", "contacts"}
    )
    z = math.log(threshold / (1 - threshold))
    return max(0.0, NAME_CENTRE + (z - best) / NAME_SLOPE)


def reasons(agreements: dict[str, str], name_similarity: float) -> list[str]:
    """Why a pair was proposed, for a coordinator: what agreed, then what did not.

    Each reason is ``<field>:<agreement>`` (``name:0.93`` for the name), strongest
    evidence first; unknown fields are left out.

    Args:
        agreements: How each field compares (``Proposal.agreements()``).
        name_similarity: The Dice coefficient of the names.
    """
    weighed = [
        (FIELD_WEIGHTS[field].get(agreement, 0.0), f"{field}:{agreement}")  # type: ignore[call-overload]
        for field, agreement in agreements.items()
        if field in FIELD_WEIGHTS and agreement != "unknown"
    ]
    weighed.sort(key=lambda w: -w[0])
    return [f"name:{name_similarity:.2f}"] + [r for _, r in weighed]


def candidate_pairs(records: Iterable[EncodedPerson], *, threshold: float) -> list[Proposal]:
    """Every pair of records in one block that scores at least ``threshold``.

    Each name is counted among ``records`` (identical filters), so that a
    common name says less (``NAME_COMMON``).

    Blocking: two records are compared when one's birth year is in the
    other's blocking window (two years either way, or the last two digits
    swapped), or when they share a document or contact token. A record
    whose birth year is unknown is compared with every other record (people
    often do not know their year, and a block of their own would hide
    exactly those duplicates).

    Args:
        records: Encoded records; record ids must be unique.
        threshold: The lowest score proposed, in [0, 1].

    Returns:
        Proposals, highest score first, then by ids (deterministic).

    Raises:
        ValueError: On a repeated record id.
    """
    items = sorted(records, key=lambda r: r.record_id)
    if len({r.record_id for r in items}) != len(items):
        raise ValueError("record ids must be unique")
    by_year: dict[bytes, list[int]] = defaultdict(list)
    by_identifier: dict[bytes, list[int]] = defaultdict(list)
    unknown: list[int] = []
    for i, record in enumerate(items):
        if record.birth_year is None:
            unknown.append(i)
        else:
            by_year[record.birth_year].append(i)
        for token in record.documents_near | record.contacts_near:
            by_identifier[token].append(i)
    pairs: set[tuple[int, int]] = set()
    for i, record in enumerate(items):
        partners: Iterable[int]
        if record.birth_year is None:
            partners = range(len(items))
        else:
            window = record.birth_year_block or record.birth_year_window
            partners = [*(j for t in window for j in by_year.get(t, ())), *unknown]
        pairs.update((min(i, j), max(i, j)) for j in partners if j != i)
        for token in record.documents_near | record.contacts_near:
            pairs.update((min(i, j), max(i, j)) for j in by_identifier[token] if j != i)
    counts = Counter(r.name_filter for r in items)
    proposals = [
        score_pair(
            items[i],
            items[j],
            name_count=max(counts[items[i].name_filter], counts[items[j].name_filter]),
        )
        for i, j in pairs
    ]
    proposals = [p for p in proposals if p.score >= threshold]
    proposals.sort(key=lambda p: (-p.score, p.left_id, p.right_id))
    return proposals
