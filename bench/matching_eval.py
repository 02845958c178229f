"""Duplicate detection figures: precision and recall, within one script and across scripts.

Usage: python -m bench.matching_eval [--seed N] [--people N] [--threshold T]

Every record of a seeded synthetic population (``bench.matching_data``) is
encoded under a random key; ``candidate_pairs`` proposes pairs (blocking on
birth year window); a proposal is right when both records are one person.
Superseded for issue 20 by ``bench.matching_raid`` (raid-like populations); kept to
compare with the earlier entries of bench/RESULTS.md. A pair
is *cross-script* when one record is in native script and the other in Latin,
*within-script* otherwise; each proposal and each true pair falls in exactly
one of the two, and precision and recall are counted per group.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from backend.matching import EncodedPerson, Proposal, candidate_pairs, encode_person
from bench.matching_data import Record, population

DEFAULT_THRESHOLD = 0.75


@dataclass(frozen=True, slots=True)
class Figures:
    """Precision and recall of one group of pairs at one threshold."""

    threshold: float
    true_pairs: int
    proposed: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.proposed if self.proposed else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 1.0


def encode_all(records: Sequence[Record], key: bytes) -> list[EncodedPerson]:
    return [
        encode_person(
            key=key,
            record_id=r.record_id,
            name=r.name,
            birth_year=r.birth_year,
            nationality=r.nationality,
            sex=r.sex,  # type: ignore[arg-type]
        )
        for r in records
    ]


def _group(a: Record, b: Record) -> str:
    return "cross-script" if a.script != b.script else "within-script"


def evaluate(
    records: Sequence[Record], proposals: Sequence[Proposal], threshold: float
) -> dict[str, Figures]:
    by_id = {r.record_id: r for r in records}
    by_person: dict[int, list[Record]] = {}
    for r in records:
        by_person.setdefault(r.person_id, []).append(r)
    truth: dict[str, int] = {"within-script": 0, "cross-script": 0}
    for rs in by_person.values():
        for i in range(len(rs)):
            for j in range(i + 1, len(rs)):
                truth[_group(rs[i], rs[j])] += 1
    proposed = dict.fromkeys(truth, 0)
    correct = dict.fromkeys(truth, 0)
    for p in proposals:
        if p.score < threshold:
            continue
        a, b = by_id[p.left_id], by_id[p.right_id]
        group = _group(a, b)
        proposed[group] += 1
        correct[group] += a.person_id == b.person_id
    return {g: Figures(threshold, truth[g], proposed[g], correct[g]) for g in truth}


def best_threshold(records: Sequence[Record], proposals: Sequence[Proposal], group: str) -> Figures:
    """The threshold with the best F1 for one group (scanning 0.30 to 0.99)."""
    best: Figures | None = None
    for step in range(30, 100):
        f = evaluate(records, proposals, step / 100)[group]
        f1 = 2 * f.precision * f.recall / (f.precision + f.recall or 1)
        if best is None or f1 > 2 * best.precision * best.recall / (
            best.precision + best.recall or 1
        ):
            best = f
    assert best is not None
    return best


def recall_at_precision(
    records: Sequence[Record], proposals: Sequence[Proposal], group: str, floor: float = 0.95
) -> Figures | None:
    """The threshold with the best recall whose precision is at least ``floor`` (the target's form)."""
    found: Figures | None = None
    for step in range(30, 100):
        f = evaluate(records, proposals, step / 100)[group]
        if f.precision >= floor and (found is None or f.recall > found.recall):
            found = f
    return found


def run(seed: int, people: int, threshold: float) -> None:
    records = population(seed=seed, people=people)
    key = secrets.token_bytes(32)
    encode_all(records[:50], key)  # warm the Thai dictionary before timing
    start = time.perf_counter()
    encoded = encode_all(records, key)
    encode_seconds = time.perf_counter() - start
    start = time.perf_counter()
    proposals = candidate_pairs(encoded, threshold=0.3)
    pair_seconds = time.perf_counter() - start
    scripts = {s: sum(r.script == s for r in records) for s in ("latin", "native")}
    print(
        f"seed {seed}: {people} people, {len(records)} records "
        f"({scripts['latin']} Latin, {scripts['native']} native script)"
    )
    print(
        f"encoding: {len(records) / encode_seconds:,.0f} records/s "
        f"({encode_seconds / len(records) * 1e6:.0f} µs per record); "
        f"blocking and scoring: {pair_seconds:.2f} s, {len(proposals)} pairs scored ≥ 0.30"
    )
    for group in ("within-script", "cross-script"):
        f = evaluate(records, proposals, threshold)[group]
        b = best_threshold(records, proposals, group)
        print(
            f"{group}: {f.true_pairs} true pairs; at {threshold:.2f}: precision {f.precision:.3f}, "
            f"recall {f.recall:.3f} ({f.correct}/{f.proposed} proposed); best F1 at "
            f"{b.threshold:.2f}: precision {b.precision:.3f}, recall {b.recall:.3f}"
        )
        r = recall_at_precision(records, proposals, group)
        print(
            "  best recall at precision >= 0.95: "
            + (f"{r.recall:.3f} (threshold {r.threshold:.2f})" if r else "none")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args()
    run(args.seed, args.people, args.threshold)


if __name__ == "__main__":
    main()
