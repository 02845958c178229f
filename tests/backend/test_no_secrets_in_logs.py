"""Logs and problems never carry secrets or personal data.

The seeded world (tests/backend/world.py) holds distinctive personal data (a
name, a family name, a document number, a phone number, a free-text account)
and every account's password and bearer token. Broad traffic follows: every
route called by a role it admits and by one it refuses, sign-ins with wrong
passwords, bodies that fail validation while carrying personal data, pushes
whose mutations are rejected. Every log line (as the JSON formatter writes it,
at DEBUG) and every problem body is then scanned for each secret.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from backend.app import build_runtime, create_app
from backend.observability import JSONFormatter
from tests.backend.sync.support import case_data, mutation
from tests.backend.test_authorization_matrix import MATRIX, ROLES
from tests.backend.world import (
    SECRET_ACCOUNT,
    SECRET_DOCUMENT,
    SECRET_FAMILY,
    SECRET_NAME,
    SECRET_PHONE,
    World,
    call_for,
    seed_world,
)
from tests.conftest import PASSWORD, Accounts, client_for, make_settings

WRONG_PASSWORD = "Wrong-Secret-Passphrase-4417"


class Collected(logging.Handler):
    """Every record, formatted the way operators receive it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JSONFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collected() -> Iterator[Collected]:
    handler = Collected()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


async def _rejected_push(client: httpx.AsyncClient, world: World) -> httpx.Response:
    """A push whose mutations fail validation while carrying personal data."""
    bad = case_data(world.operation_id, age_estimate=-3, family_name=SECRET_FAMILY)
    bad["documents"] = [{"kind": SECRET_DOCUMENT, "number": SECRET_DOCUMENT}]
    return await client.post(
        "/api/v1/sync/push",
        headers=world.headers["caseworker"],
        json={
            "device_id": str(world.devices["caseworker"]),
            "mutations": [
                mutation("case", uuid.uuid4(), bad),
                mutation("account", uuid.uuid4(), {"case_id": "x", "text": SECRET_ACCOUNT}),
            ],
        },
    )


async def _broad_traffic(client: httpx.AsyncClient, world: World) -> list[str]:
    """Call everything; return the body of every problem answered."""
    problems: list[str] = []

    def keep(response: httpx.Response) -> None:
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            problems.append(response.text)
        if response.status_code == 200 and "/sync/push" in str(response.request.url):
            problems.extend(str(r.get("problem", "")) for r in response.json()["results"])

    for (method, path), admitted in MATRIX.items():
        roles = sorted(admitted) if admitted else ["admin"]
        refused = sorted(set(ROLES) - set(admitted or ROLES))[:1]
        for role in [*refused, *roles]:
            if path == "/api/v1/auth/logout":
                continue  # keep the sessions: logout is called at the end
            call = call_for(world, method, path, role)
            keep(
                await client.request(
                    method,
                    call.url,
                    params=call.params,
                    json=call.json,
                    headers=world.headers[role],
                )
            )
    # Wrong passwords, an unknown account, a malformed sign-in.
    for username in (world.usernames["caseworker"], f"{SECRET_NAME}-nobody"):
        keep(
            await client.post(
                "/api/v1/auth/token", json={"username": username, "password": WRONG_PASSWORD}
            )
        )
    keep(await client.post("/api/v1/auth/token", json={"username": SECRET_NAME, "password": 7}))
    # Validation failures carrying personal data, in a body and in a pushed mutation.
    coordinator = world.headers["coordinator"]
    keep(
        await client.post(
            "/api/v1/operations",
            headers=coordinator,
            json={"name": SECRET_NAME, "country": SECRET_FAMILY, "site": SECRET_PHONE},
        )
    )
    # (A rejected push's problems are scanned by the test below.)
    # A token that is not one, and a bearer header with a secret in it.
    keep(await client.get("/api/v1/me", headers={"Authorization": f"Bearer {SECRET_NAME}"}))
    for role in ROLES:
        keep(await client.post("/api/v1/auth/logout", headers=world.headers[role]))
    return problems


@pytest.fixture
async def noisy_app(tmp_path: Path, database_url: str) -> Litestar:
    """The app as operators run it, logging at DEBUG."""
    settings = make_settings(tmp_path, database_url, log_level="DEBUG")
    return create_app(runtime=build_runtime(settings))


async def test_no_log_line_or_problem_carries_a_secret_or_personal_data(
    noisy_app: Litestar, collected: Collected
) -> None:
    async with client_for(noisy_app) as client:
        accounts = Accounts(noisy_app.state.runtime, client)
        world = await seed_world(client, accounts, noisy_app.state.runtime)
        tokens = [h["Authorization"].split(" ", 1)[1] for h in world.headers.values()]
        problems = await _broad_traffic(client, world)
    assert len(collected.lines) > 150, len(collected.lines)  # the access log, at least
    assert len(problems) > 50, len(problems)
    secrets = {
        "given name": SECRET_NAME,
        "family name": SECRET_FAMILY,
        "document": SECRET_DOCUMENT,
        "phone": SECRET_PHONE,
        "account": SECRET_ACCOUNT[:30],
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        **{f"token {n}": token for n, token in enumerate(tokens)},
    }
    for where, texts in (("log", collected.lines), ("problem", problems)):
        for text in texts:
            for name, secret in secrets.items():
                assert secret not in text, f"{name} in a {where}: {text[:300]}"


async def test_no_log_line_carries_an_object_id(noisy_app: Litestar, collected: Collected) -> None:
    async with client_for(noisy_app) as client:
        accounts = Accounts(noisy_app.state.runtime, client)
        world = await seed_world(client, accounts, noisy_app.state.runtime)
        await _broad_traffic(client, world)
    ids = {world.case_id, world.closable_case_id, world.investigation_id, world.referral_id}
    for line in collected.lines:
        for found in ids:
            assert found not in line, line[:300]


async def test_a_rejected_mutations_problem_does_not_echo_the_value(
    client: httpx.AsyncClient, world: World
) -> None:
    pushed = await _rejected_push(client, world)
    assert pushed.status_code == 200, pushed.text
    results = pushed.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert SECRET_DOCUMENT not in pushed.text and SECRET_ACCOUNT not in pushed.text
