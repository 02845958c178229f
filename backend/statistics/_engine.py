"""Suppression on a table flattened into terms and lines.

A table becomes a list of *terms* (every count and every total, each with an
index) and a list of *lines*: one equation ``total = sum(parts)`` per row, per
column, and for the grand total over the row totals and over the column totals.
Totals always have a higher index than their parts, so ordering candidates by
``(value, index)`` prefers a part to a total of the same value.

Everything here is deterministic: candidates are taken in ``(value, index)``
order and hidden cells are audited in index order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.statistics._model import Reason

if TYPE_CHECKING:
    import numpy as np

# numpy and scipy (about 50 MB in every server process) are imported where the
# audit runs, the first time a table is protected, not when the server starts.

__all__ = [
    "UNBOUNDED",
    "Line",
    "attacker_ranges",
    "line_rule",
    "primary",
    "suppress",
]

#: The attacker's upper bound on any count. Counts of people never come near
#: it; a range reaching it is reported as unbounded.
UNBOUNDED = 10**9
#: Every hidden cell is at least this: zeros are always shown, so an attacker
#: who knows the rules knows a hidden cell is not 0.
HIDDEN_LOWER_BOUND = 1


@dataclass(frozen=True, slots=True)
class Line:
    """One published equation: ``values[total] == sum(values[p] for p in parts)``."""

    total: int
    parts: tuple[int, ...]

    @property
    def terms(self) -> tuple[int, ...]:
        """The parts, then the total."""
        return (*self.parts, self.total)


def primary(values: Sequence[int], *, k: int) -> dict[int, Reason]:
    """Hide every term from 1 to k - 1, totals included."""
    return {i: "primary" for i, v in enumerate(values) if 0 < v < k}


def _smallest_visible(
    terms: Iterable[int], values: Sequence[int], hidden: Mapping[int, Reason]
) -> int | None:
    candidates = [t for t in terms if t not in hidden and values[t] > 0]
    return min(candidates, key=lambda t: (values[t], t), default=None)


def _violates(line: Line, values: Sequence[int], hidden: Mapping[int, Reason], *, k: int) -> bool:
    count = sum(1 for t in line.terms if t in hidden)
    if count == 1:
        return True
    if line.total in hidden:
        # The attacker learns no sum of hidden parts here, only a difference
        # with an unknown total; the LP audit judges what that leaves.
        return False
    hidden_sum = sum(values[p] for p in line.parts if p in hidden)
    return 0 < hidden_sum < k


def line_rule(
    values: Sequence[int], lines: Sequence[Line], hidden: dict[int, Reason], *, k: int
) -> None:
    """Add complementary cells until every line has 0 or >= 2 hidden terms.

    And, where the line's total is published, hidden parts summing to 0 or >= k.
    The smallest non-zero visible term of a failing line is hidden first.
    Changes ``hidden`` in place and repeats until no line changes.
    """
    changed = True
    while changed:
        changed = False
        for line in lines:
            while _violates(line, values, hidden, k=k):
                pick = _smallest_visible(line.terms, values, hidden)
                if pick is None:  # pragma: no cover - impossible, see docs/statistics.md
                    raise RuntimeError("a failing line has no visible non-zero term")
                hidden[pick] = "complementary"
                changed = True


class _Attacker:
    """The linear programme of someone who sees the published table and knows the rules."""

    def __init__(
        self,
        values: Sequence[int],
        lines: Sequence[Line],
        hidden: Mapping[int, Reason],
        *,
        lower: int = HIDDEN_LOWER_BOUND,
    ) -> None:
        import numpy as np

        self.lower = lower
        self.values = np.array(values, dtype=float)
        self.unknowns = sorted(hidden)
        column = {t: j for j, t in enumerate(self.unknowns)}
        rows: list[list[float]] = []
        rhs: list[float] = []
        for line in lines:
            if not any(t in hidden for t in line.terms):
                continue
            coefficients = [0.0] * len(self.unknowns)
            known = 0
            for p in line.parts:
                if p in hidden:
                    coefficients[column[p]] += 1.0
                else:
                    known -= values[p]
            if line.total in hidden:
                coefficients[column[line.total]] -= 1.0
            else:
                known += values[line.total]
            rows.append(coefficients)
            rhs.append(float(known))
        self.column = column
        self.a_eq = np.array(rows, dtype=float).reshape(len(rows), len(self.unknowns))
        self.b_eq = np.array(rhs, dtype=float)

    def optimum(self, term: int, *, maximise: bool) -> tuple[int, np.ndarray]:
        """The largest or smallest value of ``term``, and a full solution that reaches it.

        The solution has a value for every term of the table (the published
        ones as published): a witness of what the attacker cannot rule out.
        """
        import numpy as np
        from scipy.optimize import linprog

        sign = -1.0 if maximise else 1.0
        c = np.zeros(len(self.unknowns))
        c[self.column[term]] = sign
        result = linprog(
            c,
            A_eq=self.a_eq,
            b_eq=self.b_eq,
            bounds=(self.lower, UNBOUNDED),
            method="highs",
        )
        if result.status != 0 or result.fun is None:  # pragma: no cover - always feasible
            raise RuntimeError(f"the attacker's programme failed: {result.message}")
        value = float(result.fun) * sign
        # The optima are integers (the equations form a network); the epsilon
        # only absorbs the solver's rounding.
        bound = math.floor(value + 1e-6) if maximise else math.ceil(value - 1e-6)
        witness = self.values.copy()
        witness[self.unknowns] = result.x
        return bound, witness

    def range_of(self, term: int) -> tuple[int, int]:
        """The smallest and largest value ``term`` can take, given what is published."""
        high, _ = self.optimum(term, maximise=True)
        low, _ = self.optimum(term, maximise=False)
        return low, high


def attacker_ranges(
    values: Sequence[int],
    lines: Sequence[Line],
    hidden: Mapping[int, Reason],
    *,
    lower: int = HIDDEN_LOWER_BOUND,
) -> dict[int, tuple[int, int]]:
    """Each hidden term's range as the attacker's linear programme finds it.

    ``lower`` is what the attacker assumes a hidden term is at least: 1 (the
    audit's attacker, who knows zeros are shown) or 0 (a weaker one, for the
    benchmark's comparison).
    """
    attacker = _Attacker(values, lines, hidden, lower=lower)
    return {t: attacker.range_of(t) for t in attacker.unknowns}


def suppress(
    values: Sequence[int],
    lines: Sequence[Line],
    *,
    k: int,
    lower: int = HIDDEN_LOWER_BOUND,
    keep: Iterable[int] = (),
) -> dict[int, Reason]:
    """Primary suppression, the line rule, then the LP audit to a fixed point.

    The audit keeps every solution its programmes found (and the true table,
    itself a solution) as witnesses: a hidden term that takes values at least
    ``k`` apart in two witnesses is wide without solving its own programmes.
    Hiding one more term only ever widens the attacker's ranges (a published
    constant becomes an unknown, so every old solution, with that term at its
    true value, stays a solution), so witnesses are kept across rounds.

    Args:
        values: Every term's true value.
        lines: The published equations.
        k: The threshold.
        lower: The attacker's lower bound on a hidden term (1; 0 only for the
            benchmark's comparison with a weaker attacker).
        keep: Terms hidden from the start besides the primary ones (reason
            ``carried``): hidden in an earlier release with the same value.
            A zero is never hidden.

    Returns:
        The hidden terms and why each is hidden.
    """
    import numpy as np

    hidden = primary(values, k=k)
    for term in keep:
        if values[term] > 0 and term not in hidden:
            hidden[term] = "carried"
    witnesses = np.array([values], dtype=float)
    while True:
        line_rule(values, lines, hidden, k=k)
        attacker = _Attacker(values, lines, hidden, lower=lower)
        narrow = None
        for term in attacker.unknowns:
            if np.ptp(witnesses[:, term]) >= k - 1e-6:
                continue
            high, witness = attacker.optimum(term, maximise=True)
            witnesses = np.vstack([witnesses, witness])
            if np.ptp(witnesses[:, term]) >= k - 1e-6:
                continue
            low, witness = attacker.optimum(term, maximise=False)
            witnesses = np.vstack([witnesses, witness])
            if high - low < k:
                narrow = term
                break
        if narrow is None:
            return hidden
        affected = [t for line in lines if narrow in line.terms for t in line.terms]
        pick = _smallest_visible(affected, values, hidden)
        if pick is None:
            # Every line through the cell is hidden already: widen the search.
            pick = _smallest_visible(range(len(values)), values, hidden)
        if pick is None:  # pragma: no cover - all hidden means every range is unbounded
            raise RuntimeError("a narrow cell remains with nothing left to hide")
        hidden[pick] = "audit"
