"""An attacker of the operation summary who holds every release the coordinators received.

Written for the tests, sharing no code with ``backend.statistics``. From one or
two JSON bodies of ``/summary`` it builds the linear programme of someone who
knows the rules: every table partitions the same people (one total per
release); a published count is that count; a hidden one is at least 1 (zeros
are shown); a label missing from a release counts 0 there. Between two
releases it may also know that ``moved`` people were added (``+n``) or
withdrew (``-n``), each changing one label per table. A release with nothing
published (withheld) tells it nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import linprog

Key = tuple[str, ...]


def _published(body: dict[str, Any]) -> bool:
    return any(
        value is not None
        for table in body["tables"]
        for value in [*table["counts"], table["total"]]
    )


class _Programme:
    def __init__(self) -> None:
        self.index: dict[Key, int] = {}
        self.bounds: list[tuple[float, float | None]] = []
        self.rows: list[dict[int, float]] = []
        self.rhs: list[float] = []

    def var(self, key: Key, low: float, high: float | None) -> int:
        self.index[key] = len(self.bounds)
        self.bounds.append((low, high))
        return self.index[key]

    def equal(self, terms: dict[int, float], value: float) -> None:
        self.rows.append(terms)
        self.rhs.append(value)

    def solve(self, key: Key, *, maximise: bool) -> float | None:
        c = np.zeros(len(self.bounds))
        c[self.index[key]] = -1.0 if maximise else 1.0
        a = np.zeros((len(self.rows), len(self.bounds)))
        for i, row in enumerate(self.rows):
            for j, v in row.items():
                a[i, j] += v
        result = linprog(c, A_eq=a, b_eq=np.array(self.rhs), bounds=self.bounds, method="highs-ds")
        if result.status == 2:  # infeasible: what it assumed about the change is false
            return None
        if result.status == 3:
            return math.inf if maximise else -math.inf
        assert result.status == 0, result.message
        return float(-result.fun if maximise else result.fun)


def attack(
    bodies: list[dict[str, Any]],
    *,
    moved: int | None = None,
    movers: dict[str, dict[str, int]] | None = None,
) -> dict[Key, tuple[float, float]]:
    """The range of every hidden count, and of every label's change when ``moved`` is given.

    ``movers`` is what the attacker knows of who moved, per table: how many
    of them have each label (they pushed those cases themselves).

    Keys: ``("count", release, table, label)`` for hidden counts (``label`` is
    ``"total"`` for a release's total) and ``("moved", table, label)`` for how
    many of the people who moved have that label. Empty when the programme is
    infeasible (the figures did not follow the change: nothing is learnt).
    """
    bodies = [b for b in bodies if _published(b)]
    if moved is not None and len(bodies) < 2:
        return {}
    p = _Programme()
    names = [t["name"] for t in bodies[0]["tables"]] if bodies else []
    labels: dict[str, list[str]] = {}
    for name in names:
        seen: list[str] = []
        for body in bodies:
            table = next(t for t in body["tables"] if t["name"] == name)
            seen += [label for label in table["labels"] if label not in seen]
        labels[name] = seen
    for r, body in enumerate(bodies):
        total = next(t["total"] for t in body["tables"])
        fixed = None if total is None else float(total)
        t_var = p.var(("count", str(r), "*", "total"), 1.0 if fixed is None else fixed, fixed)
        for table in body["tables"]:
            shown = dict(zip(table["labels"], table["counts"], strict=True))
            row = {t_var: -1.0}
            for label in labels[table["name"]]:
                if label not in shown:
                    low, high = 0.0, 0.0
                elif shown[label] is None:
                    low, high = 1.0, None
                else:
                    low = high = float(shown[label])
                row[p.var(("count", str(r), table["name"], label), low, high)] = 1.0
            p.equal(row, 0.0)
    if moved is not None:
        step = 1.0 if moved > 0 else -1.0
        for name in names:
            row = {}
            for label in labels[name]:
                known = (movers or {}).get(name)
                if known is not None:
                    d = p.var(("known", name, label), known.get(label, 0), known.get(label, 0))
                else:
                    d = p.var(("moved", name, label), 0.0, float(abs(moved)))
                # after - before = step * d
                p.equal(
                    {
                        p.index[("count", "1", name, label)]: 1.0,
                        p.index[("count", "0", name, label)]: -1.0,
                        d: -step,
                    },
                    0.0,
                )
                row[d] = 1.0
            p.equal(row, float(abs(moved)))
    out: dict[Key, tuple[float, float]] = {}
    for key, (low, high) in zip(p.index, p.bounds, strict=True):
        if key[0] == "count" and low == high:
            continue
        lo, hi = p.solve(key, maximise=False), p.solve(key, maximise=True)
        if lo is None or hi is None:
            return {}
        out[key] = (lo, hi)
    return out


def recovered(
    ranges: dict[Key, tuple[float, float]], *, k: int = 5
) -> dict[Key, tuple[float, float]]:
    """What the attacker pins down: a count below ``k`` (or its range narrower than ``k``).

    A hidden count whose range is narrower than ``k``; or how many of the
    movers have a label, narrowed below ``k`` wide while it may be 1 to
    ``k - 1`` (one person who joined, and the label that came with them). Five
    movers known to share a label are a count of five: not below ``k``.
    """
    out = {}
    for key, (low, high) in ranges.items():
        if key[0] == "count" and high - low < k:
            out[key] = (low, high)
        if key[0] == "moved" and high - low < k and high >= 1 - 1e-6 and low < k:
            out[key] = (low, high)
    return out
