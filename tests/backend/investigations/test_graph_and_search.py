"""Partial search, partial recall, hubs, clusters without hubs, cluster expansion, the summary."""

from __future__ import annotations

from httpx import AsyncClient

from tests.backend.investigations.support import bitcoin, ethereum, investigator, site, tron
from tests.conftest import Accounts, assert_problem


async def test_partial_search_by_prefix_and_suffix(client: AsyncClient, accounts: Accounts) -> None:
    place = await site(client, accounts)
    wanted, other = tron("partial-search-1"), tron("partial-search-2")
    await place.case(disclosures=[(wanted, {"chain": "tron"}), (other, {"chain": "tron"})])
    who = await investigator(client, accounts)
    hits = await who.get("/addresses", chain="tron", prefix=wanted[:5], suffix=wanted[-4:])
    assert [h["address"] for h in hits] == [wanted]
    assert hits[0]["cases"] == 1
    hits = await who.get("/addresses", chain="tron", suffix=wanted[-7:])
    assert [h["address"] for h in hits] == [wanted]
    evm = ethereum("partial-evm")
    await place.case(disclosures=[(evm, {"chain": "ethereum"})])
    hits = await who.get("/addresses", chain="ethereum", prefix=evm[:8].upper().replace("0X", "0x"))
    assert [h["address"].lower() for h in hits] == [evm]
    too_short = await client.get(
        f"{who.base}/addresses", headers=who.headers, params={"chain": "tron", "prefix": "T1"}
    )
    assert_problem(too_short, 422, "validation")


async def test_a_recalled_partial_address_matches_the_full_one(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    full = tron("recalled")
    await place.case(disclosures=[(f"{full[:5]}…{full[-4:]}", {"chain": "tron"})])
    await place.case(disclosures=[(full, {"chain": "tron"})])
    who = await investigator(client, accounts)
    found = await who.lookup("tron", full)
    assert len(found["cases"]) == 1
    (match,) = found["partial_matches"]
    assert (match["prefix"], match["suffix"]) == (full[:5], full[-4:])
    assert match["case_ref"] != found["cases"][0]["case_ref"]


async def test_hubs_are_ranked_and_left_out_of_clusters(
    client: AsyncClient, accounts: Accounts
) -> None:
    first, second = await site(client, accounts), await site(client, accounts)
    exchange = tron("exchange-deposit")
    ring_a, ring_b = (
        [tron(f"ring-a-{n}") for n in range(3)],
        [tron(f"ring-b-{n}") for n in range(3)],
    )
    for place, ring in ((first, ring_a), (second, ring_b)):
        for n in range(3):
            await place.case(
                disclosures=[
                    (exchange, {"chain": "tron", "role": "unknown"}),
                    (ring[n], {"chain": "tron"}),
                    (ring[(n + 1) % 3], {"chain": "tron"}),
                ]
            )
    who = await investigator(client, accounts)
    # Nothing reached yet: no hub, no cluster (an investigation never holds the whole index).
    assert await who.get("/graph/hubs", min_cases=4, min_operations=2) == []
    assert await who.get("/graph/clusters", min_cases=4, min_operations=2) == []
    await who.lookup("tron", exchange)
    hubs = await who.get("/graph/hubs", min_cases=4, min_operations=2)
    assert hubs == [{"chain": "tron", "address": exchange, "cases": 6, "operations": 2}]
    clusters = await who.get("/graph/clusters", min_cases=4, min_operations=2)
    assert [(c["addresses"], c["cases"], c["operations"]) for c in clusters] == [(3, 3, 1)] * 2
    joined = await who.get("/graph/clusters", min_cases=100, min_operations=2)
    assert [(c["addresses"], c["cases"]) for c in joined] == [(7, 6)]

    cluster = await who.get(f"/graph/cluster/tron/{ring_a[0]}", min_cases=4, min_operations=2)
    assert sorted(a["address"] for a in cluster["addresses"]) == sorted([*ring_a, exchange])
    assert [a["hub"] for a in cluster["addresses"] if a["address"] == exchange] == [True]
    assert len(cluster["cases"]) == 3 and not cluster["truncated"]
    assert len(cluster["edges"]) == 9
    small = await who.get(f"/graph/cluster/tron/{ring_a[0]}", min_cases=4, max_nodes=2)
    assert small["truncated"]


async def test_a_legacy_address_is_indexed_on_every_chain_it_is_valid_on(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    legacy = bitcoin("legacy")
    await place.case(disclosures=[(legacy, {})])
    who = await investigator(client, accounts)
    assert len((await who.lookup("bitcoin", legacy))["cases"]) == 1
    assert len((await who.lookup("bitcoin-cash", legacy))["cases"]) == 1


async def test_the_summary_suppresses_counts_below_five(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    for n in range(6):
        await place.case(disclosures=[(tron(f"summary-{n}"), {"chain": "tron"})])
    await place.case(disclosures=[(tron("summary-x"), {"chain": "tron", "role": "wage_source"})])
    who = await investigator(client, accounts)
    # The summary counts only what this investigation reached (its first release,
    # read before any lookup, would be an empty one the ledger then holds it to).
    for address in [*(tron(f"summary-{n}") for n in range(6)), tron("summary-x")]:
        await who.lookup("tron", address)
    summary = await who.get("/summary")
    assert summary["k"] == 5
    assert summary["roles"] == ["scam_collection", "wage_source"]
    assert summary["cells"] == [[None, None]]  # 1 is primary; 6 complements it
    assert summary["total"] == 7
