"""How many hidden counts the line rule alone leaves recoverable, and what the LP audit costs.

Random two-way tables (2-6 rows by 2-6 columns, counts skewed to small values,
about one in six zero) are protected twice: by primary suppression and the
line rule alone, and by ``protect`` (the line rule plus the LP audit). For each
output the attacker's linear programme gives every hidden term's range, under
two attackers: one who knows that zeros are always shown (a hidden term is at
least 1; the audit's attacker) and a weaker one who only knows counts are not
negative. A term is *recoverable* when its range is 0 (its exact value), and
*narrow* when its range is below k. Shares are of every published position
(counts and totals).

Usage: python -m bench.statistics [--tables N] [--seed S] [--k K]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from backend.statistics import Table, protect
from backend.statistics._engine import attacker_ranges, line_rule, primary, suppress
from backend.statistics.protect import table_lines


def random_table(rng: random.Random) -> Table:
    """A table of an operation's size: a few categories a side, mostly small counts."""
    rows, columns = rng.randint(2, 6), rng.randint(2, 6)
    mean = rng.choice([2, 3, 5, 8, 12, 20])
    counts = [
        [0 if rng.random() < 0.17 else 1 + int(rng.expovariate(1 / mean)) for _ in range(columns)]
        for _ in range(rows)
    ]
    return Table(
        row_labels=[f"r{i}" for i in range(rows)],
        column_labels=[f"c{j}" for j in range(columns)],
        counts=counts,
    )


def _hidden_after_protect(table: Table, k: int) -> set[int]:
    protected = protect(table, k=k)
    cells = [cell for row in protected.cells for cell in row]
    cells += [*protected.row_totals, *protected.column_totals, protected.grand_total]
    return {i for i, cell in enumerate(cells) if cell.suppressed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    k = args.k
    rng = random.Random(args.seed)
    positions = 0
    tally = {
        (stage, lower, what): 0
        for stage in ("line rule", "audit")
        for lower in (1, 0)
        for what in ("hidden", "narrow", "recoverable", "tables")
    }
    primary_hidden = 0
    weak_audit_hidden = 0
    line_times: list[float] = []
    protect_times: list[float] = []
    for _ in range(args.tables):
        table = random_table(rng)
        values, lines = table_lines(table)
        positions += len(values)
        start = time.perf_counter()
        hidden = primary(values, k=k)
        primary_hidden += len(hidden)
        line_rule(values, lines, hidden, k=k)
        line_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        audited = _hidden_after_protect(table, k)
        protect_times.append(time.perf_counter() - start)
        weak_audit_hidden += len(suppress(values, lines, k=k, lower=0))
        for stage, shown in (("line rule", set(hidden)), ("audit", audited)):
            for lower in (1, 0):
                ranges = attacker_ranges(
                    values, lines, dict.fromkeys(shown, "primary"), lower=lower
                )
                narrow = sum(1 for lo, hi in ranges.values() if hi - lo < k)
                tally[stage, lower, "hidden"] += len(shown)
                tally[stage, lower, "narrow"] += narrow
                tally[stage, lower, "recoverable"] += sum(
                    1 for lo, hi in ranges.values() if lo == hi
                )
                tally[stage, lower, "tables"] += narrow > 0
    print(
        f"tables: {args.tables} (seed {args.seed}), k = {k}, positions (counts and totals): {positions}"
    )
    print(f"hidden by primary suppression: {primary_hidden} ({primary_hidden / positions:.1%})")
    for stage in ("line rule", "audit"):
        hidden = tally[stage, 1, "hidden"]
        print(f"after {stage}: hidden {hidden} ({hidden / positions:.1%} of positions)")
        for lower, who in ((1, "attacker knows hidden >= 1"), (0, "attacker assumes hidden >= 0")):
            recoverable = tally[stage, lower, "recoverable"]
            narrow = tally[stage, lower, "narrow"]
            print(
                f"  {who}: recoverable exactly {recoverable} ({recoverable / positions:.2%} of positions), "
                f"range < k {narrow} ({narrow / positions:.2%}), "
                f"tables with a range < k {tally[stage, lower, 'tables']} "
                f"({tally[stage, lower, 'tables'] / args.tables:.1%})"
            )
    print(
        f"an audit against the weaker attacker (hidden >= 0) would hide {weak_audit_hidden} "
        f"({weak_audit_hidden / positions:.1%} of positions)"
    )

    def ms(samples: list[float]) -> str:
        ordered = sorted(samples)
        return (
            f"median {statistics.median(ordered) * 1000:.1f} ms, "
            f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
        )

    print(f"time per table, primary + line rule: {ms(line_times)}")
    print(f"time per table, protect (with the LP audit): {ms(protect_times)}")


if __name__ == "__main__":
    main()
