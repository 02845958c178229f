"""Possible duplicates: encoded at sync, proposed to coordinators of both cases, merged or dismissed."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar import Litestar
from sqlalchemy import delete, func, select, update

from backend.crypto.keys import activate_master_key, add_master_key
from backend.db.models import (
    AuditEntry,
    DuplicateProposal,
    PersonEncoding,
    PersonEncodingToken,
    Record,
)
from backend.db.session import write_transaction
from backend.duplicates.services import PROPOSE_AT, forget_case, match_pending, scan
from backend.errors import Conflict
from backend.matching import encode_person, name_floor, score_pair
from backend.rotation.services import retire, rewrap
from backend.runtime import Runtime
from tests.backend.sync.support import Field, case_data, field_operation, mutation
from tests.conftest import Accounts, assert_problem, is_postgres

DUPLICATES = "/api/v1/duplicates"


def _ids(passport: str, phone: str) -> dict[str, Any]:
    return {
        "documents": [{"kind": "passport", "number": passport, "held_by": "employer"}],
        "contacts": [{"kind": "phone", "value": phone}],
    }


#: Synthetic people. The first two are one person spelled two ways, in two name
#: orders, with another year and day of birth and another phone, but one passport.
SOMCHAI = {
    "given_names": "Zomchai",
    "family_name": "Fakewattana",
    "date_of_birth": "1998-04-02",
    **_ids("ZZ0000001", "+000 555 0101"),
}
SOMCHAI_AGAIN = {
    "given_names": "Fakewatana",
    "family_name": "Zomchay",
    "date_of_birth": "1999-01-01",
    **_ids("ZZ0000001", "+000 555 0202"),
}
OTHER = {
    "given_names": "Quorra",
    "family_name": "Blimpington",
    "date_of_birth": "1998-04-02",
    **_ids("QX7315542", "+000 555 0303"),
}
FAR_YEAR = {
    "given_names": "Zomchai",
    "family_name": "Fakewattana",
    "date_of_birth": "1980-04-02",
    **_ids("LM4408816", "+000 555 0404"),
}


async def _push_case(field: Field, code: str, person: dict[str, Any]) -> uuid.UUID:
    case_id = uuid.uuid4()
    data = case_data(field.operation_id, code=code, **person)
    results = await field.caseworker.push([mutation("case", case_id, data)])
    assert results[0]["status"] == "applied", results
    return case_id


@pytest.fixture(autouse=True)
def _server_matching(runtime: Runtime) -> None:
    """The runtime whose pending encodings ``_proposals`` compares first."""
    _MATCHING[:] = [runtime]


_MATCHING: list[Runtime] = []


async def _proposals(
    client: AsyncClient, headers: dict[str, str], operation_id: str, **params: str
) -> list[dict[str, Any]]:
    """What a coordinator sees once the server's matching loop has run."""
    await match_pending(_MATCHING[0])
    response = await client.get(
        DUPLICATES, headers=headers, params={"operation_id": operation_id, **params}
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_person_screened_twice_is_proposed_once_and_others_are_not(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    first = await _push_case(field, "AAA-111", SOMCHAI)
    again = await _push_case(field, "AAA-222", SOMCHAI_AGAIN)
    await _push_case(field, "AAA-333", OTHER)
    await _push_case(field, "AAA-444", FAR_YEAR)  # same name, 18 years apart: another block

    found = await _proposals(client, field.coordinator_headers, field.operation_id)
    assert len(found) == 1, [
        (p["left"]["case_code"], p["right"]["case_code"], p["reasons"]) for p in found
    ]
    pair = found[0]
    assert {pair["left"]["id"], pair["right"]["id"]} == {str(first), str(again)}
    assert {pair["left"]["case_code"], pair["right"]["case_code"]} == {"AAA-111", "AAA-222"}
    assert pair["status"] == "open" and pair["birth_year"] == "adjacent"
    assert pair["nationality"] == "same" and PROPOSE_AT <= pair["score"] <= 1
    assert (pair["documents"], pair["contacts"], pair["birth_day"]) == (
        "same",
        "different",
        "different",
    )
    # The reasons a coordinator judges: strongest evidence first, unknowns left out.
    assert pair["reasons"][0].startswith("name:") and pair["reasons"][1] == "documents:same"
    assert "sex:unknown" not in pair["reasons"] and "birth_day:different" in pair["reasons"]
    # No identity field leaves: no name, no date of birth.
    response = await client.get(
        DUPLICATES, headers=field.coordinator_headers, params={"operation_id": field.operation_id}
    )
    for secret in ("Zomchai", "Fakewattana", "1998", "1999-01-01", "ZZ0000001", "555"):
        assert secret not in response.text


async def test_merge_links_both_cases_keeping_both_and_a_decision_is_final(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    first = await _push_case(field, "BBB-111", SOMCHAI)
    again = await _push_case(field, "BBB-222", SOMCHAI_AGAIN)
    (pair,) = await _proposals(client, field.coordinator_headers, field.operation_id)
    url = f"{DUPLICATES}/{pair['id']}"
    headers = field.coordinator_headers

    wrong = await client.post(
        f"{url}/merge", headers=headers, json={"primary_case_id": str(uuid.uuid4())}
    )
    assert_problem(wrong, 422, "validation")
    merged = await client.post(
        f"{url}/merge", headers=headers, json={"primary_case_id": str(again)}
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["primary_case_id"] == str(again)
    assert merged.json()["left"]["case_code"] in {"BBB-111", "BBB-222"}
    # Both cases are still there, whole.
    for case_id in (first, again):
        opened = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
        assert opened.status_code == 200, opened.text
    assert_problem(await client.post(f"{url}/dismiss", headers=headers), 409, "conflict")
    assert_problem(
        await client.post(f"{url}/merge", headers=headers, json={"primary_case_id": str(first)}),
        409,
        "conflict",
    )
    assert await _proposals(client, headers, field.operation_id) == []
    (kept,) = await _proposals(client, headers, field.operation_id, status="merged")
    assert kept["id"] == pair["id"]
    # Changing the case again never reopens a decided pair.
    await field.caseworker.push([mutation("case", first, {"notes": "seen again"}, base_rev=1)])
    assert await _proposals(client, headers, field.operation_id) == []
    async with runtime.db.session() as session:
        actions = list((await session.execute(select(AuditEntry.action))).scalars())
    assert {"duplicate.list", "duplicate.merge"} <= set(actions)


async def test_dismissing_and_a_renamed_case_drops_its_open_proposal(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    first = await _push_case(field, "CCC-111", SOMCHAI)
    await _push_case(field, "CCC-222", SOMCHAI_AGAIN)
    (pair,) = await _proposals(client, field.coordinator_headers, field.operation_id)
    renamed = await field.caseworker.push(
        [
            mutation(
                "case", first, {"given_names": "Quorra", "family_name": "Blimpington"}, base_rev=1
            )
        ]
    )
    assert renamed[0]["status"] == "applied", renamed
    assert await _proposals(client, field.coordinator_headers, field.operation_id) == []
    third = await _push_case(field, "CCC-333", OTHER)
    (pair,) = await _proposals(client, field.coordinator_headers, field.operation_id)
    assert str(third) in {pair["left"]["id"], pair["right"]["id"]}
    dismissed = await client.post(
        f"{DUPLICATES}/{pair['id']}/dismiss", headers=field.coordinator_headers
    )
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"


async def test_other_coordinators_see_nothing_and_are_refused_as_not_found(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await _push_case(field, "DDD-111", SOMCHAI)
    await _push_case(field, "DDD-222", SOMCHAI_AGAIN)
    (pair,) = await _proposals(client, field.coordinator_headers, field.operation_id)
    outsider = await field_operation(client, accounts)
    headers = outsider.coordinator_headers
    listed = await client.get(
        DUPLICATES, headers=headers, params={"operation_id": field.operation_id}
    )
    assert_problem(listed, 404, "not-found")
    assert await _proposals(client, headers, outsider.operation_id) == []
    assert_problem(
        await client.post(f"{DUPLICATES}/{pair['id']}/dismiss", headers=headers), 404, "not-found"
    )
    merge = await client.post(
        f"{DUPLICATES}/{pair['id']}/merge",
        headers=headers,
        json={"primary_case_id": pair["left"]["id"]},
    )
    assert_problem(merge, 404, "not-found")
    async with runtime.db.session() as session:
        denied = list(
            (
                await session.execute(
                    select(AuditEntry.action).where(AuditEntry.outcome == "denied")
                )
            ).scalars()
        )
    assert {"duplicate.list", "duplicate.dismiss", "duplicate.merge"} <= set(denied)


async def test_a_pair_across_two_operations_is_shown_only_to_who_coordinates_both(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    other = await field_operation(client, accounts)
    await _push_case(field, "EEE-111", SOMCHAI)
    await _push_case(other, "EEE-222", SOMCHAI_AGAIN)
    assert await _proposals(client, field.coordinator_headers, field.operation_id) == []
    assert await _proposals(client, other.coordinator_headers, other.operation_id) == []
    # A coordinator of both operations sees the pair from either side.
    join = await client.post(
        f"/api/v1/operations/{other.operation_id}/members",
        headers=other.coordinator_headers,
        json={"user_id": str(field.coordinator.user_id)},
    )
    assert join.status_code == 201, join.text
    (pair,) = await _proposals(client, field.coordinator_headers, other.operation_id)
    assert {pair["left"]["operation_id"], pair["right"]["operation_id"]} == {
        field.operation_id,
        other.operation_id,
    }


async def test_scan_encodes_older_cases_and_follows_a_key_rotation(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    first = await _push_case(field, "FFF-111", SOMCHAI)
    await _push_case(field, "FFF-222", SOMCHAI_AGAIN)
    async with runtime.db.session() as session, session.begin():
        await session.execute(delete(DuplicateProposal))
        await session.execute(delete(PersonEncoding))
    assert await _proposals(client, field.coordinator_headers, field.operation_id) == []
    report = await scan(runtime, batch_size=1)
    assert (report.cases, report.unreadable) == (2, 0)
    (pair,) = await _proposals(client, field.coordinator_headers, field.operation_id)

    async with runtime.db.session() as session:
        before = (await session.get(PersonEncoding, first)).documents  # type: ignore[union-attr]
    path = runtime.settings.effective_key_file
    old = runtime.keyring.active_id
    new = add_master_key(path)
    activate_master_key(path, new)
    await rewrap(runtime)
    with pytest.raises(Conflict, match="2 in person_encodings"):
        await retire(runtime, old)
    await scan(runtime)
    await retire(runtime, old)
    async with runtime.db.session() as session:
        keys = set((await session.execute(select(PersonEncoding.master_key_id))).scalars())
    assert keys == {new}
    async with runtime.db.session() as session:
        after = (await session.get(PersonEncoding, first)).documents  # type: ignore[union-attr]
    # The document tokens rotate with the master key, as the name filter does.
    assert before and after and before != after
    (again,) = await _proposals(client, field.coordinator_headers, field.operation_id)
    assert again["id"] == pair["id"]

    async with runtime.db.session() as session, session.begin():
        await forget_case(session, first)
    async with runtime.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PersonEncoding)) == 1
        assert await session.scalar(select(func.count()).select_from(DuplicateProposal)) == 0


async def test_push_only_encodes_and_the_matching_loop_proposes(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Comparing at push cost more than the push once thousands of cases are stored."""
    field = await field_operation(client, accounts)
    await _push_case(field, "KKK-111", SOMCHAI)
    await _push_case(field, "KKK-222", SOMCHAI_AGAIN)
    async with write_transaction(runtime.db) as session:
        pending = await session.scalar(
            select(func.count()).select_from(PersonEncoding).where(PersonEncoding.pending)
        )
        assert pending == 2
        assert await session.scalar(select(func.count()).select_from(DuplicateProposal)) == 0
    assert await match_pending(runtime) == 2
    assert await match_pending(runtime) == 0
    listed = await _proposals(client, field.coordinator_headers, field.operation_id)
    assert len(listed) == 1


async def test_encodings_hold_no_name(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await _push_case(field, "GGG-111", SOMCHAI)
    async with runtime.db.session() as session:
        row = (await session.execute(select(PersonEncoding))).scalar_one()
    raw = b"".join(
        v
        for v in (
            row.name_filter,
            row.birth_year,
            row.birth_year_window,
            row.birth_year_block,
            row.nationality,
            row.sex,
            row.birth_day,
            row.birth_day_swapped,
            row.documents,
            row.documents_near,
            row.contacts,
            row.contacts_near,
        )
        if v
    )
    assert row.birth_day and row.documents and row.contacts_near
    for clear in (b"Zomchai", b"zomchai", b"1998", b"KH", b"04-02", b"ZZ0000001", b"0101"):
        assert clear not in raw


@pytest.mark.skipif(not is_postgres(), reason="concurrent decisions need PostgreSQL")
async def test_merge_and_dismiss_at_once_one_wins(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    await _push_case(field, "HHH-111", SOMCHAI)
    await _push_case(field, "HHH-222", SOMCHAI_AGAIN)
    (pair,) = await _proposals(client, field.coordinator_headers, field.operation_id)
    url = f"{DUPLICATES}/{pair['id']}"
    headers = field.coordinator_headers
    calls = [
        client.post(f"{url}/merge", headers=headers, json={"primary_case_id": pair["left"]["id"]})
        if i % 2
        else client.post(f"{url}/dismiss", headers=headers)
        for i in range(8)
    ]
    statuses = sorted(r.status_code for r in await asyncio.gather(*calls))
    assert statuses == [200] + [409] * 7, statuses


_names = st.sampled_from(["Zomchai Fakewattana", "Zomchay Fakewatana", "Quorra Blimp", "Kyaw Kyaw"])
_dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(1993, 12, 31)) | st.none()


@settings(max_examples=200, deadline=None)
@given(_names, _names, _dates, _dates, st.sampled_from(["KH", "TH", None]))
def test_below_the_name_floor_only_a_shared_identifier_can_propose(
    a: str, b: str, born_a: dt.date | None, born_b: dt.date | None, nationality: str | None
) -> None:
    """The matching loop rules a block out on the name alone below ``name_floor``: sound only so."""
    key = bytes(range(32))
    left = encode_person(key=key, record_id="a", name=a, birth_date=born_a, sex="male")
    right = encode_person(
        key=key, record_id="b", name=b, birth_date=born_b, nationality=nationality, sex="male"
    )
    found = score_pair(left, right)
    if found.score >= PROPOSE_AT:
        assert found.name_similarity >= name_floor(PROPOSE_AT)


async def test_a_shared_passport_proposes_a_name_written_very_differently_and_a_namesake_is_not(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    first = await _push_case(field, "MMM-111", {**SOMCHAI, "nationality": "TH"})
    again = await _push_case(
        field,
        "MMM-222",
        {
            "given_names": "Somchai",
            "family_name": None,
            "date_of_birth": "2541-04-02",  # the Buddhist-Era year of 1998
            "nationality": "TH",
            **_ids("ZZ000001", "+000 555 0909"),  # one digit dropped
        },
    )
    await _push_case(
        field,
        "MMM-333",
        {
            **SOMCHAI,
            "nationality": "TH",
            "date_of_birth": "1998-09-20",
            **_ids("KR5550172", "+000 555 0777"),
        },
    )
    found = await _proposals(client, field.coordinator_headers, field.operation_id)
    assert [{p["left"]["id"], p["right"]["id"]} for p in found] == [{str(first), str(again)}]
    assert (found[0]["documents"], found[0]["birth_year"], found[0]["birth_day"]) == (
        "near",
        "same",
        "same",
    )


async def test_a_shared_passport_joins_cases_whose_years_are_far_apart(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Outside each other's year window, the indexed identifier tokens still bring them together."""
    field = await field_operation(client, accounts)
    first = await _push_case(field, "PPP-111", SOMCHAI)
    again = await _push_case(field, "PPP-222", {**SOMCHAI, "date_of_birth": "1988-04-02"})
    await _push_case(field, "PPP-333", {**FAR_YEAR, "date_of_birth": "1988-07-19"})
    found = await _proposals(client, field.coordinator_headers, field.operation_id)
    assert [{p["left"]["id"], p["right"]["id"]} for p in found] == [{str(first), str(again)}]
    assert found[0]["birth_year"] == "different" and found[0]["documents"] == "same"
    async with runtime.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PersonEncodingToken)) > 0
    async with runtime.db.session() as session, session.begin():
        await forget_case(session, first)
    async with runtime.db.session() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(PersonEncodingToken)
            .where(PersonEncodingToken.case_id == first)
        )
    assert left == 0


async def test_a_merge_can_be_undone_and_the_pair_is_open_again(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await _push_case(field, "NNN-111", SOMCHAI)
    again = await _push_case(field, "NNN-222", SOMCHAI_AGAIN)
    (pair,) = await _proposals(client, field.coordinator_headers, field.operation_id)
    url = f"{DUPLICATES}/{pair['id']}"
    headers = field.coordinator_headers
    assert_problem(await client.post(f"{url}/unmerge", headers=headers), 409, "conflict")
    merged = await client.post(
        f"{url}/merge", headers=headers, json={"primary_case_id": str(again)}
    )
    assert merged.status_code == 200, merged.text

    outsider = await accounts.create("coordinator")
    refused = await client.post(f"{url}/unmerge", headers=await accounts.headers(outsider))
    assert_problem(refused, 404, "not-found")
    undone = await client.post(f"{url}/unmerge", headers=headers)
    assert undone.status_code == 200, undone.text
    body = undone.json()
    assert (body["status"], body["primary_case_id"], body["decided_at"]) == ("open", None, None)
    (listed,) = await _proposals(client, headers, field.operation_id)
    assert listed["id"] == pair["id"] and listed["status"] == "open"
    assert_problem(await client.post(f"{url}/unmerge", headers=headers), 409, "conflict")
    # Decided again, as any open pair.
    dismissed = await client.post(f"{url}/dismiss", headers=headers)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    async with runtime.db.session() as session:
        actions = list(
            (
                await session.execute(
                    select(AuditEntry.action)
                    .where(AuditEntry.object_id == pair["id"])
                    .order_by(AuditEntry.seq)
                )
            ).scalars()
        )
    # The outsider's refusal is audited too, under the same action.
    assert actions == [
        "duplicate.merge",
        "duplicate.unmerge",
        "duplicate.unmerge",
        "duplicate.dismiss",
    ]


@pytest.mark.skipif(not is_postgres(), reason="concurrent pushes need PostgreSQL")
async def test_one_person_pushed_from_many_phones_at_once_is_proposed_once_per_pair(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    """Encoding and proposing at push never fail a push; a scan completes what a race missed."""
    field = await field_operation(client, accounts)
    phones = [field.caseworker]
    for _ in range(3):
        worker = await accounts.create("caseworker")
        added = await client.post(
            f"/api/v1/operations/{field.operation_id}/members",
            headers=field.coordinator_headers,
            json={"user_id": str(worker.id)},
        )
        assert added.status_code == 201
        phone = uuid.uuid4()
        headers = await accounts.headers(worker, device_id=phone)
        phones.append(type(field.caseworker)(client, phone, headers, worker.id))
    await _push_case(field, "JJJ-000", SOMCHAI)
    people = [SOMCHAI, SOMCHAI_AGAIN, SOMCHAI, SOMCHAI_AGAIN]
    batches = [
        [mutation("case", uuid.uuid4(), case_data(field.operation_id, code=f"JJJ-00{i + 1}", **p))]
        for i, p in enumerate(people)
    ]
    results = await asyncio.gather(*(d.push(b) for d, b in zip(phones, batches, strict=True)))
    assert all(r[0]["status"] == "applied" for r in results), results
    await scan(runtime)
    found = await _proposals(client, field.coordinator_headers, field.operation_id)
    pairs = [frozenset((p["left"]["id"], p["right"]["id"])) for p in found]
    assert len(pairs) == len(set(pairs)) == 10  # five records of one person: every pair, once


async def test_a_transferred_case_takes_its_proposals_out_of_the_old_operation(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    other = await field_operation(client, accounts)
    moved = await _push_case(field, "KKK-111", SOMCHAI)
    await _push_case(field, "KKK-222", SOMCHAI_AGAIN)
    assert len(await _proposals(client, field.coordinator_headers, field.operation_id)) == 1
    # What a transfer does to the case record (the transfer itself is another feature).
    async with runtime.db.session() as session, session.begin():
        await session.execute(
            update(Record)
            .where(Record.case_id == moved)
            .values(operation_id=uuid.UUID(other.operation_id))
        )
    assert await _proposals(client, field.coordinator_headers, field.operation_id) == []
    assert await _proposals(client, other.coordinator_headers, other.operation_id) == []


async def test_the_servers_matching_loop_proposes_what_sync_encoded(
    app: Litestar, client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    from backend.duplicates.background import start_matching, stop_matching

    field = await field_operation(client, accounts)
    await _push_case(field, "LLL-111", SOMCHAI)
    await _push_case(field, "LLL-222", SOMCHAI_AGAIN)
    runtime.settings.duplicates_match_seconds = 1
    try:
        await start_matching(app)
        for _ in range(50):
            async with write_transaction(runtime.db) as session:
                found = await session.scalar(select(func.count()).select_from(DuplicateProposal))
            if found:
                break
            await asyncio.sleep(0.1)
        assert found == 1
    finally:
        await stop_matching(app)
        runtime.settings.duplicates_match_seconds = 0
