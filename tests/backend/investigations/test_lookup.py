"""Address lookup: consent inside the query, sums per asset, co-disclosure, references."""

from __future__ import annotations

from httpx import AsyncClient

from tests.backend.investigations.support import (
    consent,
    disclosure,
    ethereum,
    investigator,
    site,
    tron,
)
from tests.backend.sync.support import mutation
from tests.conftest import Accounts

SHARED = tron("shared-collection")


async def test_lookup_shows_consented_cases_with_sums_and_co_disclosures(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    other = ethereum("co-disclosed")
    for amount in ("0.1", "0.2"):
        await place.case(
            disclosures=[
                (SHARED, {"kind": "payment", "chain": "tron", "asset": "usdt", "amount": amount}),
                (other, {"chain": "ethereum"}),
            ]
        )
    await place.case(consent_state=None, disclosures=[(SHARED, {"chain": "tron"})])
    await place.case(consent_state="refused", disclosures=[(SHARED, {"chain": "tron"})])
    who = await investigator(client, accounts)
    found = await who.lookup("tron", SHARED)
    assert found["address"] == SHARED
    assert len(found["cases"]) == 2
    assert all(c["case_ref"].startswith("cr_") for c in found["cases"])
    assert found["payments"] == [{"chain": "tron", "asset": "USDT", "total": "0.3", "payments": 2}]
    (co,) = found["co_disclosed"]
    assert (co["chain"], co["address"].lower(), co["cases"]) == ("ethereum", other, 2)
    assert co["address"] != other  # canonical: EIP-55 checksummed


async def test_a_withdrawal_removes_the_case_from_the_next_query(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    case_id = await place.case(disclosures=[(SHARED, {"chain": "tron"})])
    who = await investigator(client, accounts)
    assert len((await who.lookup("tron", SHARED))["cases"]) == 1
    withdrawal = consent(case_id, "withdrawn")
    await place.push([withdrawal])
    assert (await who.lookup("tron", SHARED))["cases"] == []
    # A phone that never saw the withdrawal does not undo it, whatever its clock says.
    await place.push([consent(case_id, "given", at="2020-01-01T00:00:00+00:00")])
    assert (await who.lookup("tron", SHARED))["cases"] == []
    await place.push([consent(case_id, "given")])
    assert (await who.lookup("tron", SHARED))["cases"] == []
    # Given again, naming the withdrawal it supersedes: the case is back.
    await place.push([consent(case_id, "given", supersedes=withdrawal["id"])])
    assert len((await who.lookup("tron", SHARED))["cases"]) == 1


async def test_case_references_are_stable_inside_and_unlinkable_across_investigations(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    await place.case(disclosures=[(SHARED, {"chain": "tron"})])
    first = await investigator(client, accounts)
    again = await first.lookup("tron", SHARED)
    assert again["cases"] == (await first.lookup("tron", SHARED))["cases"]
    second = await investigator(client, accounts, headers=first.headers)
    one, two = again["cases"][0], (await second.lookup("tron", SHARED))["cases"][0]
    assert one["case_ref"] != two["case_ref"]
    assert one["operation_ref"] != two["operation_ref"]


async def test_a_deleted_disclosure_leaves_the_index(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    case_id = await place.case()
    item = disclosure(case_id, SHARED, chain="tron")
    await place.push([item])
    who = await investigator(client, accounts)
    assert len((await who.lookup("tron", SHARED))["cases"]) == 1
    await place.push([mutation("disclosure", item["id"], {}, op="delete", base_rev=1)])
    assert (await who.lookup("tron", SHARED))["cases"] == []


async def test_another_investigators_investigation_is_not_found_and_audited(
    client: AsyncClient, accounts: Accounts
) -> None:
    mine = await investigator(client, accounts)
    theirs = await investigator(client, accounts)
    response = await client.get(f"{theirs.base}/addresses/tron/{SHARED}", headers=mine.headers)
    assert response.status_code == 404, response.text


async def test_the_case_list_is_cut_at_the_limit_and_the_counts_are_not(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    for amount in ("1", "2", "3"):
        await place.case(
            disclosures=[
                (SHARED, {"kind": "payment", "chain": "tron", "asset": "TRX", "amount": amount})
            ]
        )
    who = await investigator(client, accounts)
    found = await who.get(f"/addresses/tron/{SHARED}", limit=2)
    assert (found["case_count"], len(found["cases"])) == (3, 2)
    assert found["payments"] == [{"chain": "tron", "asset": "TRX", "total": "6", "payments": 3}]
    assert found["co_disclosed_complete"] is True
