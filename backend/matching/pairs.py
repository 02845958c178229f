"""Candidate duplicate pairs: blocking on birth year ± 1, scoring, proposals only.

Nothing here merges anything. ``candidate_pairs`` returns proposals for a
coordinator, who merges (keeping both histories) or dismisses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from backend.matching.encoding import EncodedPerson, dice

__all__ = ["FIELD_WEIGHTS", "Agreement", "Proposal", "candidate_pairs", "score_pair"]

#: How a field of two records compares: ``adjacent`` is a birth year one apart.
Agreement = Literal["same", "adjacent", "different", "unknown"]

#: Multipliers on the name's Dice score per field and agreement. A differing
#: nationality or sex lowers the score but does not exclude the pair: both are
#: mis-recorded at chaotic sites, and an excluded pair is never seen again.
#: Chosen by coordinate search for the best within-script F1 on the synthetic
#: development population (``bench.matching_eval --seed 9``) and checked on a
#: held-out one (``--seed 11``); both are reported in bench/RESULTS.md. An
#: unknown value costs nothing: it is no evidence either way.
FIELD_WEIGHTS: dict[str, dict[Agreement, float]] = {
    "birth_year": {"same": 1.0, "adjacent": 0.9, "unknown": 0.9},
    "nationality": {"same": 1.0, "unknown": 1.0, "different": 0.6},
    "sex": {"same": 1.0, "unknown": 1.0, "different": 0.8},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A possible duplicate, for a coordinator to merge or dismiss.

    Attributes:
        left_id: The smaller record id of the pair.
        right_id: The larger record id.
        score: The name's Dice score times the field weights, in [0, 1].
        name_similarity: The Dice coefficient of the two name filters.
        birth_year: How the birth years compare.
        nationality: How the nationalities compare.
        sex: How the recorded sexes compare.
    """

    left_id: str
    right_id: str
    score: float
    name_similarity: float
    birth_year: Agreement
    nationality: Agreement
    sex: Agreement


def _agreement(a: bytes | None, b: bytes | None) -> Agreement:
    if a is None or b is None:
        return "unknown"
    return "same" if a == b else "different"


def score_pair(a: EncodedPerson, b: EncodedPerson) -> Proposal:
    """Score two encoded records (whatever their blocks).

    Args:
        a: One record.
        b: The other.
    """
    year = _agreement(a.birth_year, b.birth_year)
    if year == "different":
        year = "adjacent" if a.birth_year in b.birth_year_window else "different"
    nationality = _agreement(a.nationality, b.nationality)
    sex = _agreement(a.sex, b.sex)
    name = dice(a.name_filter, b.name_filter)
    score = name
    score *= FIELD_WEIGHTS["birth_year"].get(year, 0.0)
    score *= FIELD_WEIGHTS["nationality"][nationality]
    score *= FIELD_WEIGHTS["sex"][sex]
    left, right = sorted((a.record_id, b.record_id))
    return Proposal(
        left_id=left,
        right_id=right,
        score=score,
        name_similarity=name,
        birth_year=year,
        nationality=nationality,
        sex=sex,
    )


def candidate_pairs(records: Iterable[EncodedPerson], *, threshold: float) -> list[Proposal]:
    """Every pair of records in one block that scores at least ``threshold``.

    Blocking: two records are compared only when their birth years are at
    most one apart. A record whose birth year is unknown is compared with
    every other record (people often do not know their year, and a block of
    their own would hide exactly those duplicates); it costs one comparison
    per record for each of them.

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
    unknown: list[int] = []
    for i, record in enumerate(items):
        if record.birth_year is None:
            unknown.append(i)
        else:
            by_year[record.birth_year].append(i)
    pairs: set[tuple[int, int]] = set()
    for i, record in enumerate(items):
        if record.birth_year is None:
            partners: Iterable[int] = range(len(items))
        else:
            partners = [j for t in record.birth_year_window for j in by_year.get(t, ())]
            partners = [*partners, *unknown]
        pairs.update((i, j) for j in partners if j > i)
    proposals = [score_pair(items[i], items[j]) for i, j in pairs]
    proposals = [p for p in proposals if p.score >= threshold]
    proposals.sort(key=lambda p: (-p.score, p.left_id, p.right_id))
    return proposals
