"""No input ends in a 500; reads never wait for writers; answers carry security headers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import func, select, text

from backend.app import build_runtime, create_app
from backend.cli import main
from backend.db.models import AuditEntry, Operation, User
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.conftest import (
    SERVER_URL,
    Accounts,
    assert_owned,
    assert_problem,
    client_for,
    is_postgres,
    make_settings,
)

ROOT = Path(__file__).resolve().parents[2]


async def _counts(runtime: Runtime) -> tuple[int | None, ...]:
    async with read_transaction(runtime.db) as session:
        return tuple(
            [
                (await session.execute(select(func.count()).select_from(model))).scalar()
                for model in (User, Operation, AuditEntry)
            ]
        )


# -- input ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 3000])
async def test_deeply_nested_json_is_a_400_and_changes_nothing(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, depth: int
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    before = await _counts(runtime)
    body = b"[" * depth + b"]" * depth
    for path in ("/api/v1/operations", "/api/v1/screenings/assess"):
        response = await client.post(
            path, content=body, headers={**coord, "content-type": "application/json"}
        )
        assert_problem(response, 400, "malformed-body")
    if depth < 100:
        nested = {"name": "x", "country": "KH", "site": "y", "extra": json.loads(body)}
        response = await client.post("/api/v1/operations", headers=coord, json=nested)
        assert_problem(response, 400, "malformed-body")
    assert await _counts(runtime) == before


async def test_an_empty_body_is_a_400_malformed_body(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    for path, headers, content in (
        ("/api/v1/auth/token", {}, b""),
        ("/api/v1/operations", coord, b""),
        ("/api/v1/operations", coord, b"  \n"),
    ):
        response = await client.post(
            path, content=content, headers={**headers, "content-type": "application/json"}
        )
        body = assert_problem(response, 400, "malformed-body")
        assert "empty" in str(body["detail"])


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/api/v1/instruments/scam%00compound", "path"),
        ("/api/v1/instruments/scam_compound?locale=en%00", "query"),
        ("/api/v1/users?username=a%00b", "query"),
        ("/api/v1/operations/%00", "path"),
    ],
)
async def test_a_control_character_in_a_path_or_parameter_is_a_problem(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, url: str, location: str
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    before = await _counts(runtime)
    response = await client.get(url, headers=coord)
    assert response.status_code < 500, response.text
    if response.status_code == 422:
        body = assert_problem(response, 422, "validation")
        assert body["errors"][0]["location"] == location  # type: ignore[index]
    else:
        assert_problem(response, 404, "not-found")  # no route holds a NUL
    assert await _counts(runtime) == before


async def test_validation_problems_name_the_location_readably(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, admin = await accounts.signed_in("admin")
    body = assert_problem(
        await client.get("/api/v1/users?limit=0", headers=admin), 422, "validation"
    )
    assert body["errors"] == [
        {"field": "limit", "reason": body["errors"][0]["reason"], "location": "query"}  # type: ignore[index]
    ]


@pytest.mark.parametrize("country", ["EU", "UN", "QO", "XA", "XK", "ZZ", "AC", "EZ"])
async def test_only_assigned_country_codes_are_accepted(
    client: AsyncClient, accounts: Accounts, country: str
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    response = await client.post(
        "/api/v1/operations", headers=coord, json={"name": "Op", "country": country, "site": "S"}
    )
    body = assert_problem(response, 422, "validation")
    assert body["errors"][0]["field"] == "country"  # type: ignore[index]


# -- reads and the write lock --------------------------------------------------------


@pytest.mark.skipif(is_postgres(), reason="SQLite's single write lock")
async def test_reads_answer_while_another_connection_holds_the_write_lock(
    tmp_path: Path, database_url: str, accounts: Accounts
) -> None:
    _, headers = await accounts.signed_in("coordinator")
    _, admin = await accounts.signed_in("admin")
    settings = make_settings(tmp_path, database_url, sqlite_busy_timeout_ms=300)
    app = create_app(runtime=build_runtime(settings))
    holder = sqlite3.connect(
        database_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    try:
        async with client_for(app) as client:
            started = time.perf_counter()
            for path, h in (
                ("/api/v1/me", headers),
                ("/api/v1/operations", headers),
                ("/api/v1/audit/verify", admin),
            ):
                response = await client.get(path, headers=h)
                assert response.status_code == 200, (path, response.text)
            assert time.perf_counter() - started < 2
            # A write waits for the lock, then answers 503 busy, never 500.
            write = await client.post(
                "/api/v1/operations",
                headers=headers,
                json={"name": "W", "country": "KH", "site": "s"},
            )
            body = assert_problem(write, 503, "busy")
            assert write.headers["retry-after"] == "1"
            assert body["status"] == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.skipif(is_postgres(), reason="SQLite's single write lock")
async def test_audit_verify_walks_a_snapshot_without_the_write_lock(
    runtime: Runtime, database_url: str, client: AsyncClient, accounts: Accounts
) -> None:
    from backend.audit.services import AuditLog

    await accounts.signed_in("admin")  # some entries to walk
    async with read_transaction(runtime.db) as session:
        first = await AuditLog(session, runtime.keyring).verify()
        writer = sqlite3.connect(
            database_url.removeprefix("sqlite+aiosqlite:///"), timeout=0.2, isolation_level=None
        )
        writer.execute("BEGIN IMMEDIATE")  # would fail at once if verify held the lock
        writer.execute("COMMIT")
        writer.close()
        again = await AuditLog(session, runtime.keyring).verify()
    assert first.ok and again.ok and first.entries_checked == again.entries_checked


# -- the audit log -------------------------------------------------------------------


async def test_anonymous_denials_are_counted_not_appended_one_by_one(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    from backend.db.models import DenialCounter

    for n in range(25):
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer lt1_fake{n}"})
    async with read_transaction(runtime.db) as session:
        counted = (
            await session.execute(
                select(DenialCounter.count).where(DenialCounter.reason == "unknown_token")
            )
        ).scalar_one()
        entries = (
            (
                await session.execute(
                    select(AuditEntry.detail).where(AuditEntry.action == "auth.token")
                )
            )
            .scalars()
            .all()
        )
    assert counted == 25
    assert [json.loads(d)["count_in_window"] for d in entries] == [1, 10]


async def test_a_requests_events_are_sealed_together_at_commit(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    created = await client.post(
        "/api/v1/operations",
        headers={**coord, "X-Request-ID": "req-seal-1"},
        json={"name": "Op", "country": "KH", "site": "S"},
    )
    assert created.status_code == 201
    refused = await client.post(
        "/api/v1/operations",
        headers={**coord, "X-Request-ID": "req-seal-2"},
        json={"name": "Op", "country": "ZZ", "site": "S"},
    )
    assert refused.status_code == 422
    async with read_transaction(runtime.db) as session:
        rows = (await session.execute(select(AuditEntry))).scalars().all()
    assert [r.action for r in rows if r.request_id == "req-seal-1"] == ["operation.create"]
    assert [r.action for r in rows if r.request_id == "req-seal-2"] == []  # rolled back: nothing
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))


@pytest.mark.skipif(not is_postgres(), reason="TRUNCATE bypasses row triggers on PostgreSQL")
async def test_the_audit_log_refuses_truncate(runtime: Runtime, accounts: Accounts) -> None:
    from sqlalchemy.exc import DBAPIError

    await accounts.signed_in("admin")
    with pytest.raises(DBAPIError, match="append-only"):
        async with runtime.db.session() as session, session.begin():
            await session.execute(text("TRUNCATE audit_log"))
    assert (await _counts(runtime))[2]


# -- headers -------------------------------------------------------------------------


async def test_every_answer_carries_security_headers(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, headers = await accounts.signed_in("caseworker")
    for response in (
        await client.get("/health/live"),
        await client.get("/api/v1/me", headers=headers),
        await client.get("/api/v1/me"),
        await client.get("/no/such/route"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers  # development


async def test_production_serves_no_interactive_docs_and_sends_hsts(
    tmp_path: Path, database_url: str
) -> None:
    import dataclasses

    development = build_runtime(make_settings(tmp_path, database_url))
    production = make_settings(tmp_path, database_url, mode="production")
    # Production refuses development keys at start-up; the docs switch is what is tested here.
    runtime = dataclasses.replace(development, settings=production)
    async with client_for(create_app(runtime=runtime)) as client:
        docs = await client.get("/docs/")
        assert "swagger" not in docs.text.lower()
        document = await client.get("/docs/openapi.json")
        assert document.status_code == 200
        assert "max-age" in (await client.get("/health/live")).headers["strict-transport-security"]


async def test_the_rate_limit_answer_says_when_to_retry(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, rate_limit_per_minute=2)
    async with client_for(create_app(settings)) as client:
        answers = [await client.get("/api/v1/me") for _ in range(3)]
    body = assert_problem(answers[-1], 429, "rate-limited")
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert body["retry_after"] == int(answers[-1].headers["retry-after"])


async def _raw_request_id(app: Any, value: bytes) -> str:
    """Call the app with a raw header (HTTP clients refuse a newline in a header)."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/health/live",
        "raw_path": b"/health/live",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"x-request-id", value)],
        "client": ("203.0.113.7", 1),
        "server": ("testserver", 80),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return dict(start["headers"])[b"x-request-id"].decode()


async def test_a_request_id_with_a_trailing_newline_is_replaced(app: Any) -> None:
    assert await _raw_request_id(app, b"good-id-1") == "good-id-1"
    replaced = await _raw_request_id(app, b"bad-id\n")
    assert replaced != "bad-id\n" and "\n" not in replaced
    await app.state.runtime.db.dispose()


# -- an unmigrated database ----------------------------------------------------------


async def test_an_unmigrated_database_answers_503_naming_the_command(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    async with client_for(create_app(settings)) as client:
        for response in (
            await client.get("/api/v1/me", headers={"Authorization": "Bearer lt1_whatever"}),
            await client.post("/api/v1/auth/token", json={"username": "a.b", "password": "x"}),
        ):
            body = assert_problem(response, 503, "not-migrated")
            assert "lantern db upgrade" in str(body["title"])


def test_lantern_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {
        "LANTERN_DATA_DIR": str(tmp_path),
        "LANTERN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
    }
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=env)
    assert result.exit_code != 0
    assert "lantern db upgrade" in result.output


# -- the contract --------------------------------------------------------------------


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    return loaded


def test_every_error_answer_is_documented_as_a_problem() -> None:
    for path, item in _document()["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        status,
                    )


def test_public_operations_need_no_token_in_the_contract() -> None:
    paths = _document()["paths"]
    for path, method in (
        ("/health/live", "get"),
        ("/health/ready", "get"),
        ("/api/v1/auth/token", "post"),
    ):
        assert paths[path][method]["security"] == []
    assert "security" not in paths["/api/v1/me"]["get"]  # the document's bearer requirement


def test_inputs_that_refuse_unknown_fields_say_so() -> None:
    schemas = _document()["components"]["schemas"]
    for name in ("TokenRequest", "UserCreate", "OperationCreate", "MemberAdd"):
        assert schemas[name]["additionalProperties"] is False, name


def test_adding_a_member_again_is_documented_as_200() -> None:
    responses = _document()["paths"]["/api/v1/operations/{operation_id}/members"]["post"][
        "responses"
    ]
    assert {"200", "201"} <= set(responses)


# -- the test suite's own safety ------------------------------------------------------


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL fixture")
async def test_the_fixture_refuses_a_database_it_did_not_create() -> None:
    assert SERVER_URL
    with pytest.raises(RuntimeError, match="did not create"):
        await assert_owned(SERVER_URL)


async def test_concurrent_reads_and_writes_keep_one_chain(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    _, admin = await accounts.signed_in("admin")

    async def write(n: int) -> int:
        response = await client.post(
            "/api/v1/operations",
            headers=coord,
            json={"name": f"Op {n}", "country": "KH", "site": "S"},
        )
        return response.status_code

    async def read() -> int:
        return (await client.get("/api/v1/me", headers=coord)).status_code

    results = await asyncio.gather(*(write(n) for n in range(10)), *(read() for _ in range(10)))
    assert results == [201] * 10 + [200] * 10
    verified = (await client.get("/api/v1/audit/verify", headers=admin)).json()
    assert verified["ok"] is True
