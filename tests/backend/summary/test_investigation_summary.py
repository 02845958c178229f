"""The investigators' summary goes through the same release ledger: one case more shows nothing."""

from __future__ import annotations

from httpx import AsyncClient

from tests.backend.investigations.support import Investigator, consent, investigator, site, tron
from tests.conftest import Accounts


async def _reach(who: Investigator, *seeds: str) -> None:
    """The investigation looks the addresses up: its summary counts only what it reached."""
    for seed in seeds:
        await who.lookup("tron", tron(seed))


async def test_one_case_more_is_not_read_off_the_investigators_summary(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    for n in range(6):
        await place.case(disclosures=[(tron(f"ledger-{n}"), {"chain": "tron"})])
    who = await investigator(client, accounts)
    await _reach(who, *(f"ledger-{n}" for n in range(6)))
    before = await who.get("/summary")
    assert before["cells"] == [[6]] and before["total"] == 6
    # One victim more, paid as a "wage source": on its own it would show a new
    # role and a total of 7, naming what that one person disclosed.
    await place.case(disclosures=[(tron("ledger-x"), {"chain": "tron", "role": "wage_source"})])
    await _reach(who, "ledger-x")
    assert await who.get("/summary") == before
    for n in range(4):
        await place.case(
            disclosures=[(tron(f"ledger-w{n}"), {"chain": "tron", "role": "wage_source"})]
        )
    await _reach(who, *(f"ledger-w{n}" for n in range(4)))
    after = await who.get("/summary")
    assert after["roles"] == ["scam_collection", "wage_source"]
    assert after["cells"] == [[6, 5]] and after["total"] == 11


async def test_a_withdrawal_withholds_the_investigators_release(
    client: AsyncClient, accounts: Accounts
) -> None:
    place = await site(client, accounts)
    ids = [await place.case(disclosures=[(tron(f"wd-{n}"), {"chain": "tron"})]) for n in range(6)]
    who = await investigator(client, accounts)
    await _reach(who, *(f"wd-{n}" for n in range(6)))
    before = await who.get("/summary")
    assert before["total"] == 6
    await place.push([consent(ids[0], "withdrawn")])
    after = await who.get("/summary")
    assert after["total"] is None and after["cells"] == [[None]]
    assert (after["chains"], after["roles"]) == (before["chains"], before["roles"])


async def test_everyone_leaving_is_not_an_exact_zero_after_a_small_release(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Two cases, then none: an exact 0 would tell the hidden 2 was all there was."""
    place = await site(client, accounts)
    ids = [await place.case(disclosures=[(tron(f"gone-{n}"), {"chain": "tron"})]) for n in range(2)]
    who = await investigator(client, accounts)
    await _reach(who, "gone-0", "gone-1")
    assert (await who.get("/summary"))["total"] is None
    await place.push([consent(case_id, "withdrawn") for case_id in ids])
    after = await who.get("/summary")
    assert after["total"] is None and after["cells"] == [[None]]
