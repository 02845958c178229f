"""Attacks at the joins of sync: each reproduction of issue 15 ("Cases and sync"), on both databases.

Each test is an attack that worked before the fix: assigning a case to another
operation's caseworker, writing into another operation's quarantine, taking
over another device's mutation id, a rejected value kept in clear, a phone
reopening a closed referral, a forged cursor, an altered ciphertext.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar
from sqlalchemy import select, update

from backend.db.base import Base
from backend.db.models import Record
from backend.db.session import write_transaction
from backend.runtime import Runtime
from tests.backend.sync.support import (
    PULL,
    Device,
    Field,
    case_data,
    field_operation,
    full_case,
    mutation,
    now,
)
from tests.conftest import Accounts, assert_problem, is_postgres

CASES = "/api/v1/cases"


async def _second_operation(client: AsyncClient, accounts: Accounts) -> Field:
    return await field_operation(client, accounts)


def _problem_fields(result: dict[str, Any]) -> list[str]:
    problem = result.get("problem") or {}
    return [e["field"] for e in problem.get("errors") or []]


def _problem_codes(result: dict[str, Any]) -> list[str]:
    problem = result.get("problem") or {}
    return [e.get("code") for e in problem.get("errors") or []]


# -- assigned_to names a caseworker of the case's own operation --------------------------


async def test_a_case_cannot_be_assigned_to_another_operations_caseworker(
    client: AsyncClient, accounts: Accounts
) -> None:
    a = await field_operation(client, accounts)
    b = await _second_operation(client, accounts)
    investigator = await accounts.create("investigator")
    case_id = uuid.uuid4()
    [created] = await a.caseworker.push([mutation("case", case_id, case_data(a.operation_id))])
    assert created["status"] == "applied"
    for stranger in (b.caseworker.user_id, investigator.id, uuid.uuid4()):
        [result] = await a.caseworker.push(
            [mutation("case", case_id, {"assigned_to": str(stranger)}, base_rev=1)]
        )
        assert result["status"] == "rejected", result
        assert _problem_fields(result) == ["data.assigned_to"]
        assert _problem_codes(result) == ["not_a_member"]
    # B's phone holds nothing of A's case.
    held = {c["id"] for c in await b.caseworker.pull_all()}
    assert str(case_id) not in held
    # A create that names an outsider as assignee is refused the same way (fast path too).
    [fresh] = await a.caseworker.push(
        [
            mutation(
                "case",
                uuid.uuid4(),
                case_data(a.operation_id, "ZZ99-ZZ99", assigned_to=str(b.caseworker.user_id)),
            )
        ]
    )
    assert fresh["status"] == "rejected" and _problem_codes(fresh) == ["not_a_member"]


async def test_a_case_may_be_assigned_to_a_caseworker_of_its_operation(
    client: AsyncClient, accounts: Accounts
) -> None:
    a = await field_operation(client, accounts)
    colleague = await accounts.create("caseworker")
    added = await client.post(
        f"/api/v1/operations/{a.operation_id}/members",
        headers=a.coordinator_headers,
        json={"user_id": str(colleague.id)},
    )
    assert added.status_code == 201
    case_id = uuid.uuid4()
    await a.caseworker.push([mutation("case", case_id, case_data(a.operation_id))])
    [result] = await a.caseworker.push(
        [mutation("case", case_id, {"assigned_to": str(colleague.id)}, base_rev=1)]
    )
    assert result["status"] == "applied", result


# -- outsiders and another operation's quarantine ----------------------------------------


async def test_an_outsiders_refused_writes_stay_out_of_the_other_operations_quarantine(
    client: AsyncClient, accounts: Accounts
) -> None:
    a = await field_operation(client, accounts)
    b = await _second_operation(client, accounts)
    case_id = uuid.uuid4()
    await a.caseworker.push(full_case(a.operation_id, case_id))
    marker = "OUTSIDER-TEXT-7731"
    results = await b.caseworker.push(
        [
            mutation("account", uuid.uuid4(), {"case_id": str(case_id), "text": marker}),
            mutation("case", case_id, {"notes": marker}, base_rev=1),
            mutation("case", case_id, {}, op="delete", base_rev=1),
            mutation("case", case_id, case_data(b.operation_id)),  # a create with A's id
        ]
    )
    assert [r["status"] for r in results] == ["waiting", "waiting", "waiting", "rejected"]
    # No answer names what the id is in the other operation.
    assert "case" not in str(results[3]["problem"]).lower().replace("case_id", "")
    assert _problem_codes(results[3]) == ["id_unavailable"]
    for status in ("open", "waiting"):
        a_items = await client.get(
            "/api/v1/sync/quarantine", headers=a.coordinator_headers, params={"status": status}
        )
        assert a_items.status_code == 200
        assert a_items.json() == [], status
    b_items = await client.get(
        "/api/v1/sync/quarantine", headers=b.coordinator_headers, params={"status": "waiting"}
    )
    assert b_items.status_code == 200
    assert b_items.text.count(marker) == 2  # kept for the sender's own coordinators


# -- mutation ids belong to their device ----------------------------------------------------


async def test_another_devices_mutation_id_is_never_replayed_to_a_stranger(
    client: AsyncClient, accounts: Accounts
) -> None:
    a = await field_operation(client, accounts)
    b = await _second_operation(client, accounts)
    shared = uuid.uuid4()
    [first] = await a.caseworker.push(
        [mutation("case", uuid.uuid4(), case_data(a.operation_id), mutation_id=shared)]
    )
    assert first["status"] == "applied"
    mine = uuid.uuid4()
    [second] = await b.caseworker.push(
        [mutation("case", mine, case_data(b.operation_id), mutation_id=shared)]
    )
    assert second["status"] == "rejected", second
    assert _problem_codes(second) == ["mutation_id_taken"]
    # Sent again under a new id, it is applied: nothing was dropped.
    [again] = await b.caseworker.push([mutation("case", mine, case_data(b.operation_id))])
    assert again["status"] == "applied"
    # The first device still gets its own outcome replayed.
    [replayed] = await a.caseworker.push(
        [mutation("case", uuid.uuid4(), case_data(a.operation_id), mutation_id=shared)]
    )
    assert replayed["status"] == "duplicate"


# -- rejected values are personal data --------------------------------------------------------


async def test_a_rejected_value_is_never_echoed_nor_kept_in_clear_and_erasure_removes_it(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    a = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await a.caseworker.push([mutation("case", case_id, case_data(a.operation_id))])
    passport = "PASSPORT-MARKER-5510"
    bad = await a.caseworker.push(
        [
            mutation(
                "case",
                case_id,
                {"documents": [{"kind": passport, "number": "x"}]},
                base_rev=1,
            ),
            mutation(
                "referral",
                uuid.uuid4(),
                {"case_id": str(case_id), "service": passport, "status": "proposed"},
            ),
            mutation("disclosure", uuid.uuid4(), {"case_id": str(case_id), passport: "x"}),
        ]
    )
    assert [r["status"] for r in bad] == ["rejected"] * 3
    assert passport not in str(bad)
    assert _problem_fields(bad[0]) == ["data.documents[0].kind"]
    assert _problem_fields(bad[1]) == ["data.service"]
    assert _problem_fields(bad[2]) == ["data"]  # a field name that is not a name is not echoed
    erased = await client.delete(
        f"{CASES}/{case_id}", headers=a.coordinator_headers, params={"reason": "person_request"}
    )
    assert erased.status_code == 200, erased.text
    async with write_transaction(runtime.db) as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                assert passport not in repr(row), table.name
    if not is_postgres():
        source = Path(runtime.settings.effective_database_url.split("///", 1)[1])
        for path in source.parent.glob(source.name + "*"):  # the file, its WAL, its index
            assert passport.encode() not in path.read_bytes(), path.name


# -- the referral workflow holds for phones ---------------------------------------------------


async def test_a_phone_cannot_reopen_a_closed_referral(
    client: AsyncClient, accounts: Accounts
) -> None:
    a = await field_operation(client, accounts)
    case_id, referral_id = uuid.uuid4(), uuid.uuid4()
    referral = {"case_id": str(case_id), "service": "medical", "status": "proposed"}
    await a.caseworker.push(
        [
            mutation("case", case_id, case_data(a.operation_id)),
            mutation("referral", referral_id, referral),
        ]
    )
    [declined] = await a.caseworker.push(
        [mutation("referral", referral_id, {"status": "declined"}, base_rev=1)]
    )
    assert declined["status"] == "applied"
    for status in ("proposed", "accepted", "completed"):
        [result] = await a.caseworker.push(
            [mutation("referral", referral_id, {"status": status}, base_rev=2)]
        )
        assert result["status"] == "rejected", (status, result)
        assert _problem_codes(result) == ["workflow"]


# -- no 500 from a forged cursor or one altered row -------------------------------------------


async def test_a_forged_cursor_number_is_a_problem_not_a_server_error(
    client: AsyncClient, accounts: Accounts
) -> None:
    import base64

    a = await field_operation(client, accounts)
    page = await client.get(PULL, headers=a.caseworker.headers)
    epoch = page.json()["cursor"]
    state = base64.urlsafe_b64decode(epoch + "=" * (-len(epoch) % 4))
    for forged in (2**70, -1):
        text_state = state.replace(b'"s":', b'"s":' + str(forged).encode() + b',"x":', 1)
        cursor = base64.urlsafe_b64encode(text_state).decode().rstrip("=")
        response = await client.get(PULL, headers=a.caseworker.headers, params={"cursor": cursor})
        body = assert_problem(response, 422, "validation")
        assert body["errors"][0]["field"] == "cursor"  # type: ignore[index]


async def test_an_altered_ciphertext_hides_one_record_not_the_operation(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    a = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await a.caseworker.push(full_case(a.operation_id, case_id))
    async with write_transaction(runtime.db) as session:
        account = (
            await session.execute(
                select(Record.id, Record.body).where(
                    Record.case_id == case_id, Record.entity == "account"
                )
            )
        ).one()
        tampered = bytes(account.body[:-1]) + bytes([account.body[-1] ^ 1])
        await session.execute(update(Record).where(Record.id == account.id).values(body=tampered))
    phone = Device(client, uuid.uuid4(), a.coordinator_headers, a.coordinator.user_id)
    pulled = await phone.pull_all()
    ids = {c["id"] for c in pulled}
    assert str(account.id) not in ids
    assert str(case_id) in ids and len(ids) >= 5  # the rest of the case arrives
    view = await client.get(
        f"{CASES}/{case_id}", headers=a.coordinator_headers, params={"purpose": "triage"}
    )
    assert view.status_code == 200, view.text
    [shown] = view.json()["accounts"]
    assert shown["unreadable"] is True and shown["data"] is None
    assert view.json()["case"]["data"]["case_code"]
    async with write_transaction(runtime.db) as session:  # kept for inspection
        kept = await session.scalar(select(Record.body).where(Record.id == account.id))
        assert kept == tampered


# -- a consent's time is the server's ---------------------------------------------------------


async def test_a_consent_recorded_in_the_future_is_refused(
    client: AsyncClient, accounts: Accounts
) -> None:
    a = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await a.caseworker.push([mutation("case", case_id, case_data(a.operation_id))])
    consent = {"case_id": str(case_id), "purpose": "services", "state": "given"}
    results = await a.caseworker.push(
        [
            mutation("consent", uuid.uuid4(), {**consent, "recorded_at": "9999-12-31T00:00:00Z"}),
            mutation("consent", uuid.uuid4(), {**consent, "recorded_at": now()}),
        ]
    )
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert _problem_fields(results[0]) == ["data.recorded_at"]
    assert _problem_codes(results[0]) == ["in_the_future"]


# -- a phone that loses its network mid-push ---------------------------------------------------


async def test_a_client_that_disconnects_mid_push_is_logged_as_such_not_as_a_bug(
    app: Litestar, accounts: Accounts, client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    a = await field_operation(client, accounts)
    sent: list[dict[str, Any]] = []
    parts = iter(
        [
            {"type": "http.request", "body": b'{"device_id": "', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(parts)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    token = a.caseworker.headers["Authorization"].encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/sync/push",
        "raw_path": b"/api/v1/sync/push",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", b"4000"),
            (b"authorization", token),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("client disconnected" in r.getMessage() for r in caplog.records)
