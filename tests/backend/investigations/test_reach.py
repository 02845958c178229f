"""An investigation holds only the cases it reached: the fingerprinting attack across investigations.

The attack: export the CSV of two investigations, group each export's lines by
case reference, and match references whose sets of (address, transaction,
role, amount, dates) rows are equal. Per-investigation keys make references
differ; equal row sets link them anyway when every investigation can export
the whole index.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict

import pytest
from httpx import AsyncClient

from tests.backend.investigations.support import (
    Investigator,
    consent,
    investigator,
    site,
    tron,
    txid,
)
from tests.conftest import Accounts, is_postgres

RING_A, RING_B = tron("reach-ring-a"), tron("reach-ring-b")
_FIELDS = (
    "chain",
    "address",
    "tx_hash",
    "kind",
    "role",
    "asset",
    "amount",
    "date_from",
    "date_to",
    "disclosed_on",
)


async def _csv(who: Investigator) -> list[dict[str, str]]:
    response = await who.client.get(f"{who.base}/exports/csv", headers=who.headers)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def _fingerprints(lines: list[dict[str, str]]) -> dict[str, frozenset[tuple[str, ...]]]:
    rows: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for line in lines:
        rows[line["case_ref"]].add(tuple(line[f] for f in _FIELDS))
    return {ref: frozenset(found) for ref, found in rows.items()}


def _linked(first: list[dict[str, str]], second: list[dict[str, str]]) -> int:
    """How many references of the first export one row set ties to one of the second."""
    theirs: dict[frozenset[tuple[str, ...]], list[str]] = defaultdict(list)
    for ref, rows in _fingerprints(second).items():
        theirs[rows].append(ref)
    return sum(len(theirs.get(rows, [])) == 1 for rows in _fingerprints(first).values())


async def _seeded(client: AsyncClient, accounts: Accounts) -> None:
    place = await site(client, accounts)
    for n in range(8):
        ring = RING_A if n < 4 else RING_B
        await place.case(
            disclosures=[
                (ring, {"chain": "tron", "date_from": f"2026-02-{n + 1:02d}"}),
                (
                    tron(f"reach-own-{n}"),
                    {
                        "chain": "tron",
                        "kind": "payment",
                        "role": "scam_collection",
                        "asset": "USDT",
                        "amount": f"{100 + n}.5",
                        "date_from": f"2026-03-{n + 1:02d}",
                    },
                ),
                (
                    txid(f"reach-tx-{n}"),
                    {"kind": "transaction", "chain": "tron", "role": "scam_collection"},
                ),
            ]
        )


async def test_references_cannot_be_matched_across_investigations_that_reached_different_cases(
    client: AsyncClient, accounts: Accounts
) -> None:
    await _seeded(client, accounts)
    first = await investigator(client, accounts)
    second = await investigator(client, accounts)
    idle = await investigator(client, accounts)
    await first.lookup("tron", RING_A)
    await second.lookup("tron", RING_B)

    mine, theirs = await _csv(first), await _csv(second)
    # The attack links no reference (on the whole index it linked 8 of 8).
    assert _linked(mine, theirs) == 0
    assert len(_fingerprints(mine)) == 4 and len(_fingerprints(theirs)) == 4
    assert RING_B not in {line["address"] for line in mine}
    # An investigation that did nothing holds nothing.
    assert await _csv(idle) == []
    assert (await idle.get("/summary"))["total"] == 0
    assert await idle.get("/graph/clusters") == []
    tagpack = await client.get(f"{idle.base}/exports/tagpack", headers=idle.headers)
    assert RING_A not in tagpack.text and RING_B not in tagpack.text

    # What two investigations both reached can still be matched (the limit stated in docs).
    await second.lookup("tron", RING_A)
    assert _linked(mine, await _csv(second)) == 4


async def test_what_was_reached_still_obeys_consent(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    case_id = await place.case(disclosures=[(RING_A, {"chain": "tron"})])
    who = await investigator(client, accounts)
    await who.lookup("tron", RING_A)
    assert len(_fingerprints(await _csv(who))) == 1
    await place.push([consent(case_id, "withdrawn")])
    assert await _csv(who) == []
    assert (await who.get("/summary"))["total"] == 0


async def test_a_search_and_a_cluster_reach_what_they_show(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    await place.case(disclosures=[(RING_A, {"chain": "tron"}), (RING_B, {"chain": "tron"})])
    await place.case(disclosures=[(RING_B, {"chain": "tron"})])
    searcher = await investigator(client, accounts)
    hits = await searcher.get("/addresses", chain="tron", prefix=RING_A[:8])
    assert [h["address"] for h in hits] == [RING_A]
    # The search reached the one case that named what it found, not the other.
    found = await _csv(searcher)
    assert len(_fingerprints(found)) == 1
    assert {line["address"] for line in found} == {RING_A, RING_B}
    explorer = await investigator(client, accounts)
    await explorer.get(f"/graph/cluster/tron/{RING_A}")
    lines = await _csv(explorer)
    assert {line["address"] for line in lines} == {RING_A, RING_B}
    assert len(_fingerprints(lines)) == 2


@pytest.mark.skipif(not is_postgres(), reason="concurrent writers need PostgreSQL")
async def test_concurrent_lookups_reach_the_same_rows_once(
    client: AsyncClient, accounts: Accounts
) -> None:
    await _seeded(client, accounts)
    who = await investigator(client, accounts)
    answers = await asyncio.gather(
        *(
            client.get(f"{who.base}/addresses/tron/{ring}", headers=who.headers)
            for ring in (RING_A, RING_B) * 4
        )
    )
    assert {a.status_code for a in answers} == {200}
    lines = await _csv(who)
    assert len(_fingerprints(lines)) == 8
    assert len(lines) == len({tuple(line.values()) for line in lines})
