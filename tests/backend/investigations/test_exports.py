"""Exports: a TagPack that passes the schema rules, and CSV; both without personal data."""

from __future__ import annotations

import csv
import io
import json

from httpx import AsyncClient

from tests.backend.investigations.support import ethereum, investigator, site, tron, txid
from tests.backend.investigations.tagpack_rules import validate
from tests.conftest import Accounts

EVM = ethereum("export-evm")
TRON = tron("export-tron")
TX = txid("export-tx")


async def _exported(client: AsyncClient, accounts: Accounts, export: str) -> str:
    place = await site(client, accounts)
    for n in range(6):
        await place.case(
            disclosures=[
                (TRON, {"chain": "tron", "date_from": "2026-01-0" + str(n + 1)}),
                (tron(f"single-{n}"), {"chain": "tron", "role": "paid_to_perpetrator"}),
            ]
        )
    await place.case(
        disclosures=[
            (EVM, {"chain": "ethereum", "role": "wage_source"}),
            (
                "0x" + TX,
                {"kind": "transaction", "chain": "ethereum", "role": "scam_collection"},
            ),
        ]
    )
    who = await investigator(client, accounts)
    # An export holds what the investigation reached: these lookups reach every case.
    await who.lookup("tron", TRON)
    await who.lookup("ethereum", EVM)
    response = await client.get(f"{who.base}/exports/{export}", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.text


async def test_the_tagpack_passes_the_schema_rules(client: AsyncClient, accounts: Accounts) -> None:
    text = await _exported(client, accounts, "tagpack")
    pack = validate(text)
    assert pack["is_public"] is False
    assert set(pack) == {"title", "creator", "description", "is_public", "tags"}
    by_value = {t.get("address") or t.get("tx_hash"): t for t in pack["tags"]}
    assert len(by_value) == 9
    shared = by_value[TRON]
    assert shared["currency"] == shared["network"] == "TRX"
    assert shared["confidence"] == "forensic_investigation"
    assert shared["concepts"] == ["human_trafficking", "scam", "perpetrator", "money_laundering"]
    context = json.loads(shared["context"])
    assert context == {
        "cases": 6,
        "disclosed": context["disclosed"],
        "period": {"from": "2026-01-01", "to": "2026-01-06"},
    }
    assert set(context["disclosed"]) == {"first", "last"}
    assert json.loads(by_value[tron("single-0")]["context"])["cases"] == "<5"
    tx = by_value["0x" + TX]
    assert "address" not in tx and tx["currency"] == "ETH"
    # Hex is quoted: YAML would read an unquoted 0x… as a number.
    checksummed = next(a for a in by_value if isinstance(a, str) and a.lower() == EVM)
    assert f'address: "{checksummed}"' in text
    assert f'tx_hash: "0x{TX}"' in text


async def test_the_csv_has_one_disclosure_per_line_by_reference(
    client: AsyncClient, accounts: Accounts
) -> None:
    lines = list(csv.DictReader(io.StringIO(await _exported(client, accounts, "csv"))))
    assert len(lines) == 14
    assert {line["case_ref"][:3] for line in lines} == {"cr_"}
    assert {line["chain"] for line in lines} == {"tron", "ethereum"}
    tx = next(line for line in lines if line["tx_hash"])
    assert (tx["address"], tx["kind"], tx["tx_hash"]) == ("", "transaction", "0x" + TX)
