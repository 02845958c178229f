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

import pytest
from httpx import AsyncClient
from sqlalchemy import String, Text, func, select, update

from backend.crypto.keys import activate_master_key, add_master_key, load_key_file
from backend.db.base import Base
from backend.db.models import LinkedDisclosure
from backend.db.session import read_transaction, write_transaction
from backend.duplicates.services import scan
from backend.errors import Conflict
from backend.rotation.repositories import RETAGGED_TABLE, WRAPPED_KEY_TABLES, key_columns
from backend.rotation.services import destroy, retire, rewrap
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
from tests.conftest import Account, Accounts

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


async def _populate(client: AsyncClient, accounts: Accounts) -> tuple[Investigator, Account]:
    """An operation with six cases and their disclosures, an investigation with a request."""
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
    return who, account


async def test_the_weekly_recipe_leaves_every_investigation_answering_as_before(
    client: AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    settings: Settings,
    settings_env: dict[str, str],
) -> None:
    who, account = await _populate(client, accounts)
    before = await _answers(who)
    old = runtime.keyring.active_id

    outputs = await asyncio.to_thread(_recipe, settings_env, old)

    ring = load_key_file(settings.effective_key_file)
    assert ring.state(old) == "destroyed" and ring.active_id != old, outputs
    # Tokens hashed under the destroyed key stop working: the investigator signs in again.
    again = await client.get(who.base, headers=who.headers)
    assert again.status_code == 401, again.text
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


def test_every_column_named_for_a_key_id_is_marked_and_covered() -> None:
    marked = {(m.table, m.column.name): m for m in key_columns()}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("key_id"):
                assert (table.name, column.name) in marked, f"{table.name}.{column.name}"
    # Every column whose rows `keys rewrap` must move is one it re-wraps or re-tags.
    moved = {t.name for t in WRAPPED_KEY_TABLES} | {RETAGGED_TABLE}
    assert {t for t, _ in marked if marked[t, _].step == "rewrap"} == moved
    assert {m.table for m in marked.values()} >= {
        "data_keys",
        "sync_quarantine",
        "investigations",
        "linkage_disclosures",
        "person_encodings",
        "access_tokens",
        "audit_log",
    }


async def _columns_holding(runtime: Runtime, key_ids: set[str]) -> set[tuple[str, str]]:
    """Every (table, column) of the database with a text value equal to a master key id."""
    held: set[tuple[str, str]] = set()
    async with read_transaction(runtime.db) as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text):
                    continue
                query = select(func.count()).select_from(table).where(column.in_(key_ids))
                if table.name == "audit_log" and column.name == "object_id":
                    # An audit entry about a key (keys.rewrap, …) names it as its object: a
                    # name in the record of what happened, never read back to find a key.
                    query = query.where(table.c.object_type != "master_key")
                found = await session.scalar(query)
                if found:
                    held.add((table.name, column.name))
    return held


async def test_every_column_that_holds_a_key_id_after_real_traffic_is_marked(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Walk every table's stored values: a key id found in an unmarked column fails."""
    await _populate(client, accounts)
    await scan(runtime)
    held = await _columns_holding(runtime, set(runtime.keyring.key_ids))
    marked = {(m.table, m.column.name) for m in key_columns()}
    assert held <= marked, held - marked
    # The traffic reached every marked column but the quarantine (nothing was refused).
    assert marked - held == {("sync_quarantine", "master_key_id")}


async def test_a_refusal_names_every_step_that_clears_it(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, settings: Settings
) -> None:
    who, account = await _populate(client, accounts)
    old = runtime.keyring.active_id
    path = settings.effective_key_file
    new = add_master_key(path)
    activate_master_key(path, new)
    # Rows made before the index recorded their key hold back every old key.
    async with write_transaction(runtime.db) as session:
        await session.execute(update(LinkedDisclosure).values(key_id=None))
        legacy = await session.scalar(select(func.count()).select_from(LinkedDisclosure))
        indexed = await session.scalar(
            select(func.count(func.distinct(LinkedDisclosure.record_id)))
        )

    with pytest.raises(Conflict) as refused:
        await retire(runtime, old)
    assert str(refused.value) == (
        f"master key {old} is still in use: 6 in data_keys, "
        f"{legacy} in linkage_disclosures under a key not recorded, 1 in investigations: "
        "run `lantern keys rewrap`; "
        "6 in person_encodings: run `lantern duplicates scan`"
    )

    report = await rewrap(runtime)
    assert report.rewrapped["investigations"] == 1
    assert report.rewrapped[RETAGGED_TABLE] == indexed  # every indexed record re-projected
    with pytest.raises(Conflict, match=r"still in use: 6 in person_encodings: run `lantern "):
        await retire(runtime, old)
    await scan(runtime)
    await retire(runtime, old)
    await destroy(runtime, old)
    who.headers = await accounts.headers(account)
    assert (await who.lookup("tron", SHARED))["case_count"] == 6


async def test_triage_still_filters_older_cases_by_nationality_after_a_rotation(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, settings: Settings
) -> None:
    place = await site(client, accounts)
    case_id = await place.case(nationality="KH")

    async def by_nationality() -> set[str]:
        response = await client.get(
            "/api/v1/cases",
            headers=place.field.coordinator_headers,
            params={"operation_id": place.field.operation_id, "nationality": "KH"},
        )
        assert response.status_code == 200, response.text
        return {line["id"] for line in response.json()}

    assert await by_nationality() == {str(case_id)}
    path = settings.effective_key_file
    activate_master_key(path, add_master_key(path))
    runtime.keyring.refresh()
    await rewrap(runtime)
    assert await by_nationality() == {str(case_id)}
