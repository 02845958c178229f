"""Body of ``/api/v1/operations/{id}/summary``."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

__all__ = ["Summary", "SummaryTable"]


class SummaryTable(msgspec.Struct, kw_only=True):
    """One protected table: a count per label and the total; ``null`` where suppressed."""

    name: str
    labels: list[str]
    counts: list[int | None]
    total: int | None


class Summary(msgspec.Struct, kw_only=True):
    """Counts of consented cases of one operation, protected so that no one can be singled out.

    Only cases whose ``aggregate_statistics`` consent is in force are counted.
    Every count from 1 to ``k - 1`` is suppressed (totals too), with
    complementary and audited suppression so no hidden count can be recovered.
    The figures are those of the latest release to the operation's
    coordinators (``released_at``): new counts are released only when every
    count moved by 0 or at least ``k`` against every earlier release. When
    no release may be served, every count is ``null`` and ``released_at`` too.
    """

    operation_id: uuid.UUID
    k: int
    released_at: dt.datetime | None
    tables: list[SummaryTable]
