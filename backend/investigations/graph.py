"""The link graph: nodes are addresses and case references, edges are disclosures.

Pure (no web or database code). Hubs (an exchange's deposit address named by
many unrelated cases) are left out before clustering, so that one exchange
does not merge rings that have nothing else in common.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

__all__ = ["Cluster", "HubRule", "UnionFind", "clusters"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HubRule:
    """When an address is a hub: named by at least this many cases of this many operations."""

    min_cases: int = 10
    min_operations: int = 2

    def is_hub(self, *, cases: int, operations: int) -> bool:
        """Whether an address with these counts is a hub."""
        return cases >= self.min_cases and operations >= self.min_operations


class UnionFind:
    """Disjoint sets with path halving and union by size."""

    __slots__ = ("_parent", "_size")

    def __init__(self) -> None:
        self._parent: dict[Hashable, Hashable] = {}
        self._size: dict[Hashable, int] = {}

    def find(self, item: Hashable) -> Hashable:
        """The representative of ``item``'s set (adding it alone if new)."""
        parent = self._parent
        if item not in parent:
            parent[item] = item
            self._size[item] = 1
            return item
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: Hashable, b: Hashable) -> None:
        """Merge the sets of ``a`` and ``b``."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]

    def groups(self) -> dict[Hashable, list[Hashable]]:
        """Every set, by representative."""
        out: dict[Hashable, list[Hashable]] = {}
        for item in self._parent:
            out.setdefault(self.find(item), []).append(item)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster:
    """One connected group of addresses and the cases that disclosed them."""

    addresses: list[tuple[str, str]]
    cases: list[Hashable]
    operations: int


def clusters(
    edges: Iterable[tuple[Hashable, Hashable, str, str]], *, hubs: set[tuple[str, str]]
) -> list[Cluster]:
    """Connected components of (case, operation, chain, address) edges, hubs left out.

    Returns the clusters largest first (then by their first address), each
    address list sorted.
    """
    sets = UnionFind()
    operation_of: dict[Hashable, Hashable] = {}
    for case, operation, chain, address in edges:
        if (chain, address) in hubs:
            continue
        operation_of[case] = operation
        sets.union(("case", case), ("address", chain, address))
    out = []
    for members in sets.groups().values():
        addresses = sorted((m[1], m[2]) for m in members if m[0] == "address")  # type: ignore[index]
        cases = [m[1] for m in members if m[0] == "case"]  # type: ignore[index]
        out.append(
            Cluster(
                addresses=addresses,
                cases=cases,
                operations=len({operation_of[c] for c in cases}),
            )
        )
    out.sort(key=lambda c: (-(len(c.addresses) + len(c.cases)), c.addresses[:1]))
    return out
