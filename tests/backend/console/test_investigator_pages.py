"""The investigator's console pages: open, look up, cluster drawn, exports; never an identity."""

from __future__ import annotations

import re

from httpx import AsyncClient

from tests.backend.console.helpers import console_sign_in, csrf_of
from tests.backend.investigations.support import site, tron
from tests.backend.sync.support import FAKE_FAMILY, FAKE_GIVEN
from tests.conftest import Accounts

SHARED = tron("console-shared")


async def _investigation(client: AsyncClient, accounts: Accounts) -> str:
    place = await site(client, accounts)
    for n in range(3):
        await place.case(
            disclosures=[(SHARED, {"chain": "tron"}), (tron(f"console-{n}"), {"chain": "tron"})]
        )
    await place.case(consent_state="refused", disclosures=[(SHARED, {"chain": "tron"})])
    client.cookies.clear()
    who = await accounts.create("investigator")
    await console_sign_in(client, who)
    page = await client.get("/console/investigations")
    opened = await client.post(
        "/console/investigations",
        data={
            "csrf": csrf_of(page.text),
            "title": "Synthetic ring",
            "purpose": "Trace",
            "legal_basis": "Synthetic warrant",
        },
    )
    assert opened.status_code == 303, opened.text
    return str(opened.headers["location"])


async def test_lookup_counts_only_consented_cases_and_shows_no_identity(
    client: AsyncClient, accounts: Accounts
) -> None:
    base = await _investigation(client, accounts)
    page = await client.get(base, params={"address": SHARED})
    assert page.status_code == 200, page.text
    assert "Named by 3 cases" in page.text  # the refused consent's case is not counted
    assert FAKE_GIVEN not in page.text and FAKE_FAMILY not in page.text


async def test_the_cluster_is_drawn_as_svg_with_links_that_expand_it(
    client: AsyncClient, accounts: Accounts
) -> None:
    base = await _investigation(client, accounts)
    page = await client.get(f"{base}/cluster", params={"chain": "tron", "address": SHARED})
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "4 addresses, 3 cases" in page.text
    links = set(re.findall(r'<a href="([^"]+/cluster\?chain=tron&amp;address=[^"&]+)"', page.text))
    assert len(links) == 4
    assert len(re.findall(r"<line ", page.text)) == 6
    assert " style=" not in page.text and "<script" not in page.text
    more = await client.get(
        f"{base}/cluster", params={"chain": "tron", "address": SHARED, "max": "120"}
    )
    assert more.status_code == 200
    bad = await client.get(
        f"{base}/cluster", params={"chain": "tron", "address": SHARED, "max": "7"}
    )
    assert bad.status_code == 422


async def test_hubs_and_exports(client: AsyncClient, accounts: Accounts) -> None:
    base = await _investigation(client, accounts)
    assert (await client.get(f"{base}/hubs")).status_code == 200
    # Exports hold only what the investigation reached by its own work: look it up first.
    assert (await client.get(base, params={"address": SHARED})).status_code == 200
    exported = await client.get(f"{base}/exports/links.csv")
    assert exported.status_code == 200 and SHARED in exported.text
    assert FAKE_GIVEN not in exported.text
    tagpack = await client.get(f"{base}/exports/tagpack.yaml")
    assert tagpack.status_code == 200 and SHARED in tagpack.text
    assert (await client.get(f"{base}/exports/passwords.txt")).status_code == 422


async def test_another_investigators_investigation_is_not_found(
    client: AsyncClient, accounts: Accounts
) -> None:
    base = await _investigation(client, accounts)
    client.cookies.clear()
    await console_sign_in(client, await accounts.create("investigator"))
    assert (await client.get(base, params={"address": SHARED})).status_code == 404
    assert (await client.get(f"{base}/exports/links.csv")).status_code == 404


async def test_partial_search_finds_the_full_address(
    client: AsyncClient, accounts: Accounts
) -> None:
    base = await _investigation(client, accounts)
    found = await client.get(
        f"{base}/search", params={"chain": "tron", "prefix": SHARED[:5], "suffix": SHARED[-4:]}
    )
    assert found.status_code == 200, found.text
    assert SHARED in found.text
    for params in (
        {"chain": "nochain", "prefix": "T"},
        {"chain": "tron", "prefix": "T<>\u0000"},
        {"chain": "tron", "prefix": "Tzz", "suffix": "0OIl"},
    ):
        refused = await client.get(f"{base}/search", params=params)
        assert refused.status_code == 422, (params, refused.status_code)
