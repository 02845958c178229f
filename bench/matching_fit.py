"""Fit the matcher's log-odds weights on the raid-like development seeds (never the held-out ones).

Usage: python -m bench.matching_fit [--people N]

Every blocked pair of the development populations (``bench.matching_raid.DEV_SEEDS``)
whose names are at least 0.5 alike, or that shares a document or contact token,
is a training example: the name's Dice coefficient, whether the names are
identical, the log of how many records share the more common of the two
names, and each field's agreement
(one-hot, unknown as the baseline) against whether the two records are one
person. A plain logistic regression (numpy, L2-regularised, Newton steps) gives
the weights; ``backend/matching/pairs.py`` carries them rounded, as
``NAME_SLOPE``, ``NAME_CENTRE``, ``NAME_EXACT``, ``NAME_COMMON`` and ``FIELD_WEIGHTS``.
"""

from __future__ import annotations

import argparse
import math
import secrets
from collections import Counter

import numpy as np

from backend.matching import candidate_pairs
from backend.matching.pairs import FIELD_WEIGHTS
from bench.matching_raid import DEV_SEEDS, encode_all, population

COLUMNS = [(f, a) for f, weights in FIELD_WEIGHTS.items() for a in weights]


def examples(seed: int, people: int) -> tuple[np.ndarray, np.ndarray]:
    records = population(seed=seed, people=people)
    pid = {r.record_id: r.pid for r in records}
    encoded = encode_all(records, secrets.token_bytes(32))
    counts = Counter(e.name_filter for e in encoded)
    name_of = {e.record_id: e.name_filter for e in encoded}
    rows, labels = [], []
    for p in candidate_pairs(encoded, threshold=0.0):
        shared = p.documents in {"same", "near"} or p.contacts in {"same", "near"}
        if p.name_similarity < 0.5 and not shared:
            continue
        found = p.agreements()
        n = max(counts[name_of[p.left_id]], counts[name_of[p.right_id]])
        rows.append(
            [1.0, p.name_similarity, float(p.name_similarity >= 0.999), math.log(n)]
            + [float(found[f] == a) for f, a in COLUMNS]
        )
        labels.append(float(pid[p.left_id] == pid[p.right_id]))
    return np.array(rows), np.array(labels)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.1) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1500)
    args = parser.parse_args()
    parts = [examples(seed, args.people) for seed in DEV_SEEDS]
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    w = fit(x, y)
    slope = w[1]
    print(f"{len(y)} pairs, {int(y.sum())} true")
    print(f"NAME_SLOPE = {slope:.2f}; NAME_CENTRE = {-w[0] / slope:.3f}")
    print(f"NAME_EXACT = {w[2]:.2f}; NAME_COMMON = {-w[3]:.2f}")
    for (f, a), weight in zip(COLUMNS, w[4:], strict=True):
        print(f"  {f:12} {a:10} {weight:+.2f}")


if __name__ == "__main__":
    main()
