"""The README's weekly rotation, end to end: investigations answer as before, under the new key.

`keys rotate --now`, `duplicates scan`, `keys retire OLD`, `keys destroy OLD`:
after it, every lookup, search, graph, summary and export of an investigation
opened under OLD answers 200 with the same case references, and finds every
address it found before (the lookup tags are made under the new key too).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from httpx import AsyncClient

from backend.crypto.keys import load_key_file
from backend.runtime import Runtime
from backend.settings import Settings
from tests.backend.investigations.support import (
    Investigator,
    bitcoin,
    investigator,
    site,
    tron,
    txid,
)
from tests.backend.rotation.support import run
from tests.conftest import Accounts

SHARED = tron("recipe-shared")
OWN = bitcoin("recipe-own")


async def _answers(who: Investigator) -> dict[str, Any]:
    """Every read an investigator makes, by route, as the server answers it."""
    routes = {
        "lookup": f"/addresses/tron/{SHARED}",
        "search": f"/addresses?chain=tron&prefix={SHARED[:6]}&suffix={SHARED[-4:]}",
        "hubs": "/graph/hubs",
        "clusters": "/graph/clusters",
        "cluster": f"/graph/cluster/tron/{SHARED}",
        "summary": "/summary",
        "csv": "/exports/csv",
        "tagpack": "/exports/tagpack",
        "requests": "/disclosure-requests",
        "investigation": "",
    }
    out: dict[str, Any] = {}
    for name, path in routes.items():
        response = await who.client.get(who.base + path, headers=who.headers)
        assert response.status_code == 200, (name, response.status_code, response.text)
        kind = response.headers["content-type"]
        out[name] = _unordered(response.json()) if "json" in kind else response.text
    return out


def _unordered(value: Any) -> Any:
    """The answer with every list sorted: rows of equal rank come back in any order."""
    if isinstance(value, dict):
        return {k: _unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_unordered(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _recipe(env: dict[str, str], old: str) -> list[str]:
    """The README's weekly recipe, as an operator types it."""
    return [
        run(env, "keys", "rotate", "--now"),
        run(env, "duplicates", "scan"),
        run(env, "keys", "retire", old),
        run(env, "keys", "destroy", old),
    ]


async def test_the_weekly_recipe_leaves_every_investigation_answering_as_before(
    client: AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    settings: Settings,
    settings_env: dict[str, str],
) -> None:
    place = await site(client, accounts)
    for n in range(6):
        await place.case(
            disclosures=[
                (SHARED, {"chain": "tron", "date_from": f"2026-02-0{n + 1}"}),
                (tron(f"recipe-{n}"), {"chain": "tron", "role": "paid_to_perpetrator"}),
                (OWN if n == 0 else bitcoin(f"recipe-own-{n}"), {"role": "victim_own"}),
                (
                    txid(f"recipe-tx-{n}"),
                    {"kind": "transaction", "chain": "tron", "role": "paid_to_perpetrator"},
                ),
                (SHARED[:5] + "…" + SHARED[-3:], {"chain": "tron"}),
            ],
        )
    account, headers = await accounts.signed_in("investigator")
    who = await investigator(client, accounts, headers=headers)
    lookup = await who.lookup("tron", SHARED)
    assert lookup["case_count"] == 6
    ref = lookup["cases"][0]["case_ref"]
    asked = await client.post(
        who.base + "/disclosure-requests",
        headers=who.headers,
        json={"case_ref": ref, "reason": "Synthetic witness statement request"},
    )
    assert asked.status_code == 201, asked.text
    before = await _answers(who)
    old = runtime.keyring.active_id

    outputs = await asyncio.to_thread(_recipe, settings_env, old)

    ring = load_key_file(settings.effective_key_file)
    assert ring.state(old) == "destroyed" and ring.active_id != old, outputs
    # Tokens hashed under the destroyed key stop working: the investigator signs in again.
    again = await client.get(who.base, headers=who.headers)
    assert again.status_code == 401, again.text
    me = await client.get("/api/v1/me", headers=place.field.coordinator_headers)
    assert me.status_code == 401
    who.headers = await accounts.headers(account)
    after = await _answers(who)
    for name in before:
        assert after[name] == before[name], name
    # Only rows that never hold a key back name it: audit entries (their key is
    # kept) and the tokens that stopped working.
    status = [json.loads(line) for line in run(settings_env, "keys", "status").splitlines()]
    by_id = {line["id"]: line for line in status}
    assert by_id[old]["state"] == "destroyed" and by_id[old]["steps"] == []
    assert set(by_id[old]["tables"]) == {"audit_log", "access_tokens"}

