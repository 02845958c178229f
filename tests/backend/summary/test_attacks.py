"""The issue's attacks on the operation summary, each as the coordinators could mount it.

Cases are created by sync push, as phones do; every release is read through the
API; ``attacker.attack`` solves what the releases give away together.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from tests.backend.referrals.support import consent
from tests.backend.summary.attacker import attack, recovered
from tests.backend.sync.support import Field, case_data, field_operation, mutation
from tests.conftest import Accounts

CHILD_BIRTH = "2016-05-01"


def _url(field: Field) -> str:
    return f"/api/v1/operations/{field.operation_id}/summary"


async def _push(
    field: Field,
    n: int,
    *,
    nationality: str,
    consented: bool = True,
    **extra: Any,
) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    batch: list[dict[str, Any]] = []
    for case_id in ids:
        code = f"ATK-{case_id.hex[:5].upper()}"
        data = case_data(field.operation_id, code=code, nationality=nationality, **extra)
        batch.append(mutation("case", case_id, data))
        if consented:
            batch.append(consent(case_id, "aggregate_statistics", "given"))
    results = await field.caseworker.push(batch)
    assert {r["status"] for r in results} == {"applied"}, results
    return ids


async def _read(client: AsyncClient, field: Field) -> dict[str, Any]:
    response = await client.get(_url(field), headers=field.coordinator_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CROWDS = {
    "15 people of one nationality": {"KH": 15},
    "150 people of three": {"KH": 100, "VN": 30, "TH": 20},
}


@pytest.mark.parametrize("crowd", CROWDS.values(), ids=CROWDS.keys())
async def test_one_case_added_by_sync_cannot_be_read_off_the_difference(
    client: AsyncClient, accounts: Accounts, crowd: dict[str, int]
) -> None:
    """Differencing over time: read, add one child of a rare nationality, read again."""
    field = await field_operation(client, accounts)
    for nationality, n in crowd.items():
        await _push(field, n, nationality=nationality)
    before = await _read(client, field)
    await _push(field, 1, nationality="NP", date_of_birth=CHILD_BIRTH)
    after = await _read(client, field)
    assert recovered(attack([before, after], moved=+1)) == {}


async def test_a_consent_given_cannot_be_read_off_the_difference(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await _push(field, 15, nationality="KH")
    (late,) = await _push(field, 1, nationality="NP", date_of_birth=CHILD_BIRTH, consented=False)
    before = await _read(client, field)
    given = consent(late, "aggregate_statistics", "given", minutes=1)
    assert (await field.caseworker.push([given]))[0]["status"] == "applied"
    after = await _read(client, field)
    assert recovered(attack([before, after], moved=+1)) == {}


async def test_a_consent_withdrawn_cannot_be_read_off_the_difference(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await _push(field, 15, nationality="KH")
    (leaving,) = await _push(field, 1, nationality="NP", date_of_birth=CHILD_BIRTH)
    before = await _read(client, field)
    withdrawn = consent(leaving, "aggregate_statistics", "withdrawn", minutes=1)
    assert (await field.caseworker.push([withdrawn]))[0]["status"] == "applied"
    after = await _read(client, field)
    assert recovered(attack([before, after], moved=-1)) == {}


async def test_the_other_tables_totals_do_not_recover_a_five_person_operation(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Margins across tables: five people, five nationalities, one release."""
    field = await field_operation(client, accounts)
    for nationality in ("KH", "TH", "VN", "MM", "LA"):
        await _push(field, 1, nationality=nationality)
    body = await _read(client, field)
    assert recovered(attack([body])) == {}


async def test_the_labels_are_the_same_whoever_is_counted(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Labels: a nationality's label must not appear because someone has it."""
    one = await field_operation(client, accounts)
    await _push(one, 20, nationality="KH")
    other = await field_operation(client, accounts)
    await _push(other, 20, nationality="VN")
    await _push(other, 2, nationality="NP")
    await _push(other, 1, nationality="IS")
    first, second = await _read(client, one), await _read(client, other)
    assert [(t["name"], t["labels"]) for t in first["tables"]] == [
        (t["name"], t["labels"]) for t in second["tables"]
    ]
    nationality = next(t for t in second["tables"] if t["name"] == "nationality")
    assert "NP" not in nationality["labels"] and "IS" not in nationality["labels"]


async def test_new_counts_are_released_once_every_count_moved_by_five(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await _push(field, 15, nationality="KH")
    first = await _read(client, field)
    await _push(field, 1, nationality="KH")
    held = await _read(client, field)
    assert held == first  # one more person: the same release again
    await _push(field, 4, nationality="KH")
    second = await _read(client, field)
    assert second["released_at"] > first["released_at"]
    ages = next(t for t in second["tables"] if t["name"] == "age_group")
    assert ages["counts"] == [0, 20, 0] and ages["total"] == 20


async def test_a_withdrawal_withholds_a_release_that_counted_them(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    ids = await _push(field, 15, nationality="KH")
    assert (await _read(client, field))["released_at"] is not None
    withdrawn = consent(ids[0], "aggregate_statistics", "withdrawn", minutes=1)
    assert (await field.caseworker.push([withdrawn]))[0]["status"] == "applied"
    body = await _read(client, field)
    assert body["released_at"] is None
    for table in body["tables"]:
        assert table["total"] is None and set(table["counts"]) == {None}, table
    exported = await client.get(
        _url(field), headers=field.coordinator_headers, params={"format": "csv"}
    )
    values = [row[1:] for row in csv.reader(io.StringIO(exported.text)) if row and row[0]]
    assert {v for row in values for v in row} <= {"[c]", "Count"}
    await _push(field, 6, nationality="KH")  # 20 now: every count moved by 5 since the release
    again = await _read(client, field)
    assert again["released_at"] is not None
    assert next(t for t in again["tables"] if t["name"] == "age_group")["total"] == 20


async def test_a_count_hidden_before_is_not_shown_unchanged_after_five_join(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Five people join, all VN, pushed by the attacker: an unchanged KH 12 shown gives TH 3."""
    field = await field_operation(client, accounts)
    await _push(field, 12, nationality="KH")
    await _push(field, 3, nationality="TH")
    before = await _read(client, field)
    await _push(field, 5, nationality="VN")
    after = await _read(client, field)
    assert after["released_at"] != before["released_at"]  # every count moved by 0 or 5
    found = attack([before, after], moved=+5, movers={"nationality": {"VN": 5}})
    assert recovered(found) == {}
