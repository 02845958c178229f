"""Write a TagPack exported from synthetic cases, for ``make tagpack-check``.

Usage: python -m tests.backend.investigations.tagpack_sample OUT.yaml

Seeds an in-process server on a throwaway SQLite database through sync (cases
with consent, wallets, payments and transactions on several chains), opens an
investigation and writes its TagPack export to ``OUT.yaml``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from backend.app import build_runtime, create_app
from backend.db.migrate import upgrade
from tests.backend.investigations.support import bitcoin, ethereum, investigator, site, tron, txid
from tests.conftest import Accounts, client_for, make_settings


async def _export(tmp: Path, url: str) -> str:
    runtime = build_runtime(make_settings(tmp, url))
    app = create_app(runtime=runtime)
    async with client_for(app) as client:
        accounts = Accounts(runtime, client)
        place = await site(client, accounts)
        for n in range(7):
            await place.case(
                disclosures=[
                    (tron("sample-collection"), {"chain": "tron"}),
                    (tron(f"sample-{n}"), {"chain": "tron", "role": "paid_to_perpetrator"}),
                    (ethereum(f"sample-{n % 2}"), {"chain": "ethereum", "role": "wage_source"}),
                    (bitcoin(f"sample-{n}"), {"chain": "bitcoin", "role": "unknown"}),
                    (
                        "0x" + txid(f"sample-{n}"),
                        {"kind": "transaction", "chain": "ethereum", "role": "scam_collection"},
                    ),
                ]
            )
        who = await investigator(client, accounts)
        # An export holds what the investigation reached: these lookups reach every case.
        await who.lookup("tron", tron("sample-collection"))
        response = await client.get(f"{who.base}/exports/tagpack", headers=who.headers)
        response.raise_for_status()
        return response.text


def main() -> None:
    out = Path(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="lantern-tagpack-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'sample.db'}"
        upgrade(url)
        text = asyncio.run(_export(Path(tmp), url))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {out}\n")


if __name__ == "__main__":
    main()
