"""Every failure is an RFC 9457 problem: limits, routing, malformed input, crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import get

from backend.app import ConfigurationError, build_runtime, create_app
from tests.conftest import Accounts, assert_problem, client_for, make_settings

TOKEN = "/api/v1/auth/token"


async def test_unknown_route_is_a_404_problem(client: AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404, "not-found")


async def test_wrong_method_is_a_405_problem(client: AsyncClient) -> None:
    assert_problem(await client.put(TOKEN, json={}), 405, "method-not-allowed")


async def test_malformed_json_is_a_400_problem(client: AsyncClient) -> None:
    response = await client.post(
        TOKEN, content=b'{"username": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "malformed-body")


async def test_missing_field_names_the_field(client: AsyncClient) -> None:
    body = assert_problem(await client.post(TOKEN, json={"username": "a"}), 422, "validation")
    assert body["errors"] == [
        {
            "field": "password",
            "reason": "Object missing required field `password`",
            "location": "body",
        }
    ]


async def test_oversized_body_is_a_413_problem(tmp_path: Path, database_url: str) -> None:
    app = create_app(make_settings(tmp_path, database_url, max_request_body_bytes=2048))
    async with client_for(app) as client:
        big = {"username": "x", "password": "p" * 4096}
        assert_problem(await client.post(TOKEN, json=big), 413, "payload-too-large")


async def test_rate_limit_is_a_429_problem(tmp_path: Path, database_url: str) -> None:
    app = create_app(make_settings(tmp_path, database_url, rate_limit_per_minute=3))
    async with client_for(app) as client:
        statuses = [(await client.get("/api/v1/me")).status_code for _ in range(4)]
        assert statuses[:3] == [401, 401, 401]
        response = await client.get("/api/v1/me")
        assert_problem(response, 429, "rate-limited")
        # Health checks are never rate limited: orchestrators poll them.
        assert (await client.get("/health/live")).status_code == 200


async def test_an_unexpected_crash_is_a_500_problem_without_internals(
    tmp_path: Path, database_url: str
) -> None:
    @get("/boom", exclude_from_auth=True)
    async def boom() -> None:
        raise RuntimeError("secret internal detail: victim name Testperson Fakename")

    app = create_app(make_settings(tmp_path, database_url))
    app.register(boom)
    async with client_for(app) as client:
        response = await client.get("/boom")
    body = assert_problem(response, 500, "internal")
    assert "secret" not in response.text and "Fakename" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_request_id_is_echoed_when_well_formed_and_replaced_otherwise(
    client: AsyncClient,
) -> None:
    kept = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] != "bad id\twith spaces"
    assert len(replaced.headers["x-request-id"]) == 32


def test_production_mode_refuses_development_keys(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///:memory:", mode="production")
    with pytest.raises(ConfigurationError, match="development keys"):
        build_runtime(settings)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
auth_payloads = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "username": json_values | st.text(max_size=80),
            "password": json_values | st.text(max_size=80),
            "device_id": json_values | st.uuids().map(str),
        },
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=auth_payloads)
async def test_any_auth_payload_gets_an_answer_never_a_500(
    client: AsyncClient, payload: object
) -> None:
    response = await client.post(
        TOKEN, content=json.dumps(payload), headers={"content-type": "application/json"}
    )
    assert response.status_code in {200, 400, 401, 403, 422, 429}, response.text
    if response.status_code != 200:
        assert response.headers["content-type"].startswith("application/problem+json")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200))
async def test_any_bytes_on_the_auth_endpoint_get_a_problem(
    client: AsyncClient, raw: bytes
) -> None:
    response = await client.post(TOKEN, content=raw, headers={"content-type": "application/json"})
    assert response.status_code in {400, 401, 422, 429}, response.text


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=json_values)
async def test_any_payload_on_user_creation_gets_a_problem(
    client: AsyncClient, accounts: Accounts, payload: object
) -> None:
    admin = accounts.cached_admin_headers or await accounts.remember_admin()
    response = await client.post(
        "/api/v1/users",
        content=json.dumps(payload),
        headers={**admin, "content-type": "application/json"},
    )
    assert response.status_code in {400, 409, 422}, response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (TOKEN, {"username": "nul\x00byte", "password": "x" * 20}),
        (TOKEN, {"username": "bell\x07", "password": "x" * 20}),
    ],
)
async def test_control_characters_are_refused_before_the_database(
    client: AsyncClient, path: str, body: dict[str, object]
) -> None:
    """PostgreSQL cannot store NUL: such input is a 422, never a 500 (found by schemathesis)."""
    problem = assert_problem(await client.post(path, json=body), 422, "validation")
    assert problem["errors"][0]["field"] == "username"  # type: ignore[index]


async def test_control_characters_in_an_operation_name_are_refused(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, coord = await accounts.signed_in("coordinator")
    body = {"name": "Op\x00Name", "country": "TH", "site": "Site"}
    problem = assert_problem(
        await client.post("/api/v1/operations", headers=coord, json=body), 422, "validation"
    )
    assert problem["errors"][0]["field"] == "name"  # type: ignore[index]


async def test_responses_are_not_cacheable_by_default(
    client: AsyncClient, accounts: Accounts
) -> None:
    account = await accounts.create("caseworker")
    token = await client.post(
        TOKEN, json={"username": account.username, "password": account.password}
    )
    assert token.headers["cache-control"] == "no-store"
    assert token.headers["x-content-type-options"] == "nosniff"
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.headers["cache-control"] == "no-store"


async def test_instruments_are_revalidated_not_stored_publicly(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, headers = await accounts.signed_in("caseworker")
    response = await client.get("/api/v1/instruments/scam_compound", headers=headers)
    directives = {d.strip() for d in response.headers["cache-control"].split(",")}
    assert directives == {"private", "no-cache"}
    again = await client.get(
        "/api/v1/instruments/scam_compound",
        headers={**headers, "If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304
    assert {d.strip() for d in again.headers["cache-control"].split(",")} == {"private", "no-cache"}
