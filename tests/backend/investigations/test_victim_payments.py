"""A payment the victim sent (or received) names their own wallet on chain: sealed like that wallet."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.backend.investigations.support import investigator, site, tron, txid
from tests.conftest import Accounts

COLLECTION = tron("victim-payment-collection")
RANSOM_TO = tron("victim-payment-ransom-wallet")
FORWARDED_TO = tron("victim-payment-not-theirs")
RANSOM_TX = txid("victim-payment-ransom-tx")
REQUESTS = "/api/v1/disclosure-requests"


def _payment(raw: str, **extra: str) -> tuple[str, dict[str, str]]:
    fields = {"chain": "tron", "kind": "payment", "asset": "USDT", "amount": "1234.56"}
    fields |= {"date_from": "2026-04-02", **extra}
    return raw, fields


@pytest.mark.parametrize(
    "payment",
    [
        _payment(RANSOM_TO, role="paid_to_perpetrator", direction="sent"),
        _payment(RANSOM_TO, role="paid_to_perpetrator"),
        _payment(RANSOM_TO, role="unknown", direction="sent"),
        _payment(RANSOM_TO, role="wage_source", direction="received"),
    ],
    ids=["sent", "ransom-without-direction", "sent-unknown-role", "wages-received"],
)
async def test_a_victims_own_payment_is_hidden_until_a_request_is_approved(
    client: AsyncClient, accounts: Accounts, payment: tuple[str, dict[str, str]]
) -> None:
    place = await site(client, accounts)
    await place.case(
        disclosures=[
            (COLLECTION, {"chain": "tron"}),
            payment,
            (
                RANSOM_TX,
                {"kind": "transaction", "chain": "tron", "role": "paid_to_perpetrator"},
            ),
            # A payment the victim did not take part in stays in the open.
            _payment(FORWARDED_TO, role="scam_collection"),
        ]
    )
    who = await investigator(client, accounts)
    found = await who.lookup("tron", COLLECTION)
    assert [c["address"] for c in found["co_disclosed"]] == [FORWARDED_TO]
    hidden = await who.lookup("tron", RANSOM_TO)
    assert hidden["cases"] == [] and hidden["payments"] == [] and hidden["case_count"] == 0
    cluster = await who.get(f"/graph/cluster/tron/{COLLECTION}")
    assert RANSOM_TO not in {a["address"] for a in cluster["addresses"]}
    for export in ("csv", "tagpack"):
        text = (await client.get(f"{who.base}/exports/{export}", headers=who.headers)).text
        assert FORWARDED_TO in text
        assert RANSOM_TO not in text and RANSOM_TX not in text and "2026-04-02" in text
        assert text.count("1234.56") <= 1  # the forwarded payment's own amount only

    asked = await client.post(
        f"{who.base}/disclosure-requests",
        headers=who.headers,
        json={"case_ref": found["cases"][0]["case_ref"], "reason": "A synthetic statement"},
    )
    assert asked.status_code == 201, asked.text
    decided = await client.post(
        f"{REQUESTS}/{asked.json()['id']}/decide",
        headers=place.field.coordinator_headers,
        json={"decision": "approve"},
    )
    assert decided.status_code == 200, decided.text
    shown = await who.lookup("tron", RANSOM_TO)
    assert len(shown["cases"]) == 1 and shown["payments"][0]["total"] == "1234.56"
    # Exports never carry what is the victim's own, approved or not.
    csv = (await client.get(f"{who.base}/exports/csv", headers=who.headers)).text
    assert RANSOM_TO not in csv and RANSOM_TX not in csv
