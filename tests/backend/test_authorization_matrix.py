"""Who may call what, for every route the app registers.

``MATRIX`` is the one table of decisions. A route that is registered but not
in the table fails the build, so no route ships without a decision; a route
in the table is called by every role, anonymously, and from a revoked device.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from litestar import Litestar
from litestar.routes import HTTPRoute

from backend.access.guards import allowed_roles
from backend.access.roles import Role
from tests.backend.world import CALLS, World, call_for
from tests.conftest import Accounts, assert_problem

ROLES = tuple(role.value for role in Role)
EVERYONE = frozenset(ROLES)
PUBLIC = None  # no authentication at all

MATRIX: dict[tuple[str, str], frozenset[str] | None] = {
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): EVERYONE,
    ("GET", "/api/v1/me"): EVERYONE,
    ("GET", "/api/v1/me/devices"): EVERYONE,
    ("POST", "/api/v1/devices/{device_id}/revoke"): frozenset({"admin", "coordinator"}),
    ("POST", "/api/v1/users"): frozenset({"admin"}),
    ("GET", "/api/v1/users"): frozenset({"admin", "coordinator"}),
    ("POST", "/api/v1/users/{user_id}/disable"): frozenset({"admin"}),
    ("POST", "/api/v1/users/{user_id}/enable"): frozenset({"admin"}),
    ("POST", "/api/v1/users/{user_id}/revoke-tokens"): frozenset({"admin"}),
    ("POST", "/api/v1/users/{user_id}/unlock"): frozenset({"admin"}),
    ("POST", "/api/v1/auth/networks/unlock"): frozenset({"admin"}),
    ("GET", "/api/v1/users/{user_id}/devices"): frozenset({"admin", "coordinator"}),
    ("POST", "/api/v1/operations"): frozenset({"coordinator"}),
    ("GET", "/api/v1/operations"): frozenset({"caseworker", "coordinator", "admin"}),
    ("GET", "/api/v1/operations/{operation_id}"): frozenset({"caseworker", "coordinator"}),
    ("POST", "/api/v1/operations/{operation_id}/members"): frozenset({"coordinator"}),
    ("GET", "/api/v1/operations/{operation_id}/members"): frozenset({"coordinator"}),
    ("DELETE", "/api/v1/operations/{operation_id}/members/{user_id}"): frozenset({"coordinator"}),
    ("GET", "/api/v1/audit/verify"): frozenset({"admin"}),
    ("GET", "/api/v1/audit/entries"): frozenset({"admin"}),
    ("GET", "/api/v1/instruments"): frozenset({"caseworker", "coordinator"}),
    ("GET", "/api/v1/instruments/{key}"): frozenset({"caseworker", "coordinator"}),
    ("POST", "/api/v1/screenings/assess"): frozenset({"caseworker", "coordinator"}),
    ("POST", "/api/v1/addresses/normalize"): EVERYONE,
    ("POST", "/api/v1/sync/push"): frozenset({"caseworker", "coordinator"}),
    ("GET", "/api/v1/sync/pull"): frozenset({"caseworker", "coordinator"}),
    ("GET", "/api/v1/sync/conflicts"): frozenset({"coordinator"}),
    ("POST", "/api/v1/sync/conflicts/{conflict_id}/resolve"): frozenset({"coordinator"}),
    ("GET", "/api/v1/sync/quarantine"): frozenset({"coordinator"}),
    ("POST", "/api/v1/sync/quarantine/{item_id}/resolve"): frozenset({"coordinator"}),
    ("GET", "/api/v1/cases"): frozenset({"coordinator"}),
    ("GET", "/api/v1/cases/{case_id}"): frozenset({"coordinator"}),
    ("DELETE", "/api/v1/cases/{case_id}"): frozenset({"coordinator"}),
    ("POST", "/api/v1/cases/{case_id}/close"): frozenset({"coordinator"}),
    ("POST", "/api/v1/cases/{case_id}/referrals"): frozenset({"coordinator"}),
    ("GET", "/api/v1/referrals/{referral_id}"): frozenset({"coordinator"}),
    ("POST", "/api/v1/referrals/{referral_id}/transitions"): frozenset({"coordinator"}),
    ("GET", "/api/v1/referrals/{referral_id}/package"): frozenset({"coordinator"}),
    ("POST", "/api/v1/cases/{case_id}/transfers"): frozenset({"coordinator"}),
    ("GET", "/api/v1/transfers"): frozenset({"coordinator"}),
    ("GET", "/api/v1/transfers/destinations"): frozenset({"coordinator"}),
    ("POST", "/api/v1/transfers/{transfer_id}/accept"): frozenset({"coordinator"}),
    ("POST", "/api/v1/transfers/{transfer_id}/decline"): frozenset({"coordinator"}),
    ("GET", "/api/v1/operations/{operation_id}/summary"): frozenset({"coordinator"}),
    ("GET", "/api/v1/services"): frozenset({"coordinator"}),
    ("POST", "/api/v1/services"): frozenset({"coordinator"}),
    ("GET", "/api/v1/services/{provider_id}"): frozenset({"coordinator"}),
    ("PATCH", "/api/v1/services/{provider_id}"): frozenset({"coordinator"}),
    ("GET", "/api/v1/duplicates"): frozenset({"coordinator"}),
    ("POST", "/api/v1/duplicates/{proposal_id}/merge"): frozenset({"coordinator"}),
    ("POST", "/api/v1/duplicates/{proposal_id}/dismiss"): frozenset({"coordinator"}),
    ("POST", "/api/v1/duplicates/{proposal_id}/unmerge"): frozenset({"coordinator"}),
    ("POST", "/api/v1/investigations"): frozenset({"investigator"}),
    ("GET", "/api/v1/investigations"): frozenset({"investigator"}),
    ("GET", "/api/v1/investigations/{investigation_id}"): frozenset({"investigator"}),
    ("GET", "/api/v1/investigations/{investigation_id}/addresses"): frozenset({"investigator"}),
    ("GET", "/api/v1/investigations/{investigation_id}/addresses/{chain}/{address}"): frozenset(
        {"investigator"}
    ),
    ("GET", "/api/v1/investigations/{investigation_id}/graph/hubs"): frozenset({"investigator"}),
    ("GET", "/api/v1/investigations/{investigation_id}/graph/clusters"): frozenset(
        {"investigator"}
    ),
    ("GET", "/api/v1/investigations/{investigation_id}/graph/cluster/{chain}/{address}"): frozenset(
        {"investigator"}
    ),
    ("GET", "/api/v1/investigations/{investigation_id}/summary"): frozenset({"investigator"}),
    ("GET", "/api/v1/investigations/{investigation_id}/exports/{export_format}"): frozenset(
        {"investigator"}
    ),
    ("POST", "/api/v1/investigations/{investigation_id}/disclosure-requests"): frozenset(
        {"investigator"}
    ),
    ("GET", "/api/v1/investigations/{investigation_id}/disclosure-requests"): frozenset(
        {"investigator"}
    ),
    ("GET", "/api/v1/disclosure-requests"): frozenset({"coordinator"}),
    ("POST", "/api/v1/disclosure-requests/{request_id}/decide"): frozenset({"coordinator"}),
    ("PUT", "/api/v1/linkage/cases/{case_id}/legal-basis"): frozenset({"coordinator"}),
    ("DELETE", "/api/v1/linkage/cases/{case_id}/legal-basis"): frozenset({"coordinator"}),
    ("GET", "/metrics"): frozenset({"admin"}),
    ("GET", "/health/live"): PUBLIC,
    ("GET", "/health/ready"): PUBLIC,
}

DOCS_PREFIX = "/docs"
CONSOLE_PREFIX = "/console"
CONTRACT = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)


def registered_routes(app: Litestar) -> dict[tuple[str, str], object]:
    """Every (method, path template) the app serves, but the OpenAPI documents."""
    found: dict[tuple[str, str], object] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(DOCS_PREFIX):
            continue
        if route.path.startswith(CONSOLE_PREFIX):  # tests/backend/console/test_route_roles.py
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method in {"HEAD", "OPTIONS"}:
                continue
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path).rstrip("/") or "/"
            found[(method, path)] = handler
    return found


def test_every_route_has_a_decision_and_its_guard_matches(app: Litestar) -> None:
    routes = registered_routes(app)
    assert set(routes) == set(MATRIX), (
        f"routes without a decision: {sorted(set(routes) - set(MATRIX))}; "
        f"decisions without a route: {sorted(set(MATRIX) - set(routes))}"
    )
    for key, handler in routes.items():
        expected = MATRIX[key]
        if expected is PUBLIC:
            assert handler.opt.get("exclude_from_auth") is True, key  # type: ignore[attr-defined]
        else:
            assert allowed_roles(handler) == expected, key  # type: ignore[arg-type]


def test_every_route_with_a_session_declares_read_or_write(app: Litestar) -> None:
    """Reads never take the write lock: each route says once which it is."""
    for (method, path), handler in registered_routes(app).items():
        if "db_session" not in handler.parsed_fn_signature.parameters:  # type: ignore[attr-defined]
            continue
        declared = handler.opt.get("transaction")  # type: ignore[attr-defined]
        assert declared in {"read", "write"}, (method, path)
        if method == "GET":
            assert declared == "read", (method, path)


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
async def test_options_answers_with_the_allowed_methods(
    client: AsyncClient, method: str, path: str
) -> None:
    response = await client.request("OPTIONS", _url(path))
    assert response.status_code == 204, response.text
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert method in allowed


def _url(path: str) -> str:
    return re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), path)


async def _call(client: AsyncClient, method: str, path: str, headers: dict[str, str]) -> object:
    kwargs: dict[str, object] = {"headers": headers}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    return await client.request(method, _url(path), **kwargs)  # type: ignore[arg-type]


CASES = [(m, p) for (m, p), roles in MATRIX.items() if roles is not PUBLIC]


@pytest.mark.parametrize(("method", "path"), CASES)
async def test_anonymous_callers_are_401(client: AsyncClient, method: str, path: str) -> None:
    assert_problem(await _call(client, method, path, {}), 401, "unauthenticated")


def documented_success(method: str, path: str) -> set[int]:
    """The 2xx statuses the committed contract documents for the route."""
    responses = CONTRACT["paths"][path][method.lower()]["responses"]
    return {int(status) for status in responses if status.startswith("2")}


def documented_media_types(method: str, path: str, status: int) -> set[str]:
    """The media types the committed contract documents for one answer of the route."""
    response = CONTRACT["paths"][path][method.lower()]["responses"][str(status)]
    return set(response.get("content", {}))


def assert_documented_answer(response: Any, method: str, path: str) -> None:
    """The status is a documented success and the body comes in a documented media type."""
    assert response.status_code in documented_success(method, path), (method, path, response.text)
    documented = documented_media_types(method, path, response.status_code)
    if not documented:
        assert not response.content, (method, path, "an answer documented without a body")
        return
    sent = response.headers["content-type"]
    base, _, parameters = sent.partition(";")
    assert base.strip() in documented, (method, path, sent, documented)
    assert parameters.count("charset") <= 1, (method, path, sent)


def test_every_route_has_a_seeded_call() -> None:
    assert set(CALLS) == set(MATRIX)


async def _admitted_or_refused(client: AsyncClient, world: World, method: str, path: str) -> None:
    expected = documented_success(method, path)
    admitted = MATRIX[(method, path)]
    assert admitted is not None
    # Refused roles first: a refusal must change nothing the admitted call then needs.
    for role in sorted(set(ROLES) - admitted):
        call = call_for(world, method, path, role)
        response = await client.request(
            method, call.url, params=call.params, json=call.json, headers=world.headers[role]
        )
        assert_problem(response, 403, "forbidden")
    for role in sorted(admitted):
        call = call_for(world, method, path, role)
        response = await client.request(
            method, call.url, params=call.params, json=call.json, headers=world.headers[role]
        )
        assert response.status_code in expected, (method, path, role, expected, response.text)
        assert_documented_answer(response, method, path)


READS = [(m, p) for (m, p) in CASES if m == "GET"]
WRITES = [(m, p) for (m, p) in CASES if m != "GET"]


async def test_each_role_reads_or_is_refused_as_the_matrix_says(
    client: AsyncClient, world: World
) -> None:
    """Reads change nothing another read needs: one seeded world serves them all."""
    for method, path in READS:
        await _admitted_or_refused(client, world, method, path)


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_each_role_writes_or_is_refused_as_the_matrix_says(
    client: AsyncClient, world: World, method: str, path: str
) -> None:
    """Admitted means the documented success, on a real object; refused means a 403 problem."""
    await _admitted_or_refused(client, world, method, path)


@pytest.mark.parametrize(("method", "path"), CASES)
async def test_a_revoked_device_is_told_to_wipe_on_every_route(
    client: AsyncClient, accounts: Accounts, method: str, path: str
) -> None:
    device = uuid.uuid4()
    _, device_headers = await accounts.signed_in("caseworker", device_id=device)
    _, admin = await accounts.signed_in("admin")
    assert (await client.post(f"/api/v1/devices/{device}/revoke", headers=admin)).status_code == 200
    body = assert_problem(await _call(client, method, path, device_headers), 403, "device-revoked")
    assert body["action"] == "wipe-local-data"


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for (m, p), r in MATRIX.items() if r is PUBLIC]
)
async def test_public_routes_need_no_token(
    client: AsyncClient, world: World, method: str, path: str
) -> None:
    call = call_for(world, method, path, "anonymous")
    response = await client.request(method, call.url, params=call.params, json=call.json)
    assert_documented_answer(response, method, path)


async def test_openapi_ui_and_document_are_public(client: AsyncClient) -> None:
    assert (await client.get(f"{DOCS_PREFIX}/openapi.json")).status_code == 200
    assert (await client.get(f"{DOCS_PREFIX}/")).status_code == 200
