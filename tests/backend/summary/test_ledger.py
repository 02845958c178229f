"""ReleaseLedger on random histories: what it records and serves always keeps the rule."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import msgspec
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backend.db.models import StatisticsRelease
from backend.db.session import read_transaction, write_transaction
from backend.runtime import Runtime
from backend.summary.ledger import ReleaseLedger

PEOPLE = [uuid.UUID(int=i) for i in range(1, 13)]

# One step: who is counted now, and each one's label (two labels, "a" and "b").
STEP = st.dictionaries(st.sampled_from(PEOPLE), st.sampled_from("ab"), max_size=len(PEOPLE))


def _terms(counted: dict[uuid.UUID, str]) -> dict[str, int]:
    labels = list(counted.values())
    return {"t/a": labels.count("a"), "t/b": labels.count("b"), "total": len(labels)}


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(history=st.lists(STEP, min_size=1, max_size=8))
async def test_every_pair_of_releases_differs_by_zero_or_at_least_k(
    client: AsyncClient, runtime: Runtime, history: list[dict[uuid.UUID, str]]
) -> None:
    audience = f"test:{uuid.uuid4()}"
    served: list[dict[str, int] | None] = []
    for counted in history:
        terms = _terms(counted)
        async with write_transaction(runtime.db) as session:
            release = await ReleaseLedger(session).serve(
                audience, terms=terms, tables=msgspec.json.encode(terms), cases=list(counted)
            )
        if release is None:
            served.append(None)
            continue
        shown = msgspec.json.decode(release.tables, type=dict[str, int])
        served.append(shown)
        if shown != terms:
            # An older release served again: everyone it counted is still counted.
            async with read_transaction(runtime.db) as session:
                row = (
                    await session.execute(
                        select(StatisticsRelease).where(
                            StatisticsRelease.audience == audience,
                            StatisticsRelease.seq == release.seq,
                        )
                    )
                ).scalar_one()
            assert set(msgspec.json.decode(row.cases or "[]", type=list[str])) <= {
                str(c) for c in counted
            }
    async with read_transaction(runtime.db) as session:
        rows = (
            (
                await session.execute(
                    select(StatisticsRelease).where(StatisticsRelease.audience == audience)
                )
            )
            .scalars()
            .all()
        )
    released = [msgspec.json.decode(r.terms, type=dict[str, int]) for r in rows]
    assert released, "the first read always releases"
    assert served[0] == _terms(history[0])
    for one, other in itertools.combinations(released, 2):
        for term in one:
            moved = abs(one[term] - other[term])
            assert moved == 0 or moved >= 5, (one, other)
    for shown in served:
        assert shown is None or shown in released


async def test_two_readers_releasing_at_once_do_not_both_publish(
    client: AsyncClient, runtime: Runtime
) -> None:
    """Two first reads of one audience at once, one person apart: one release, not two."""
    audience = f"test:{uuid.uuid4()}"

    async def read(n: int) -> dict[str, int] | None:
        terms = {"t/a": n, "total": n}
        async with write_transaction(runtime.db) as session:
            release = await ReleaseLedger(session).serve(
                audience, terms=terms, tables=msgspec.json.encode(terms), cases=None
            )
        return None if release is None else msgspec.json.decode(release.tables)

    first, second = await asyncio.gather(read(12), read(13))
    async with read_transaction(runtime.db) as session:
        rows = (
            (
                await session.execute(
                    select(StatisticsRelease.terms).where(StatisticsRelease.audience == audience)
                )
            )
            .scalars()
            .all()
        )
    assert len(rows) == 1
    assert first == second == msgspec.json.decode(rows[0])
