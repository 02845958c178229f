"""Route x role: no console page admits a role its API twin refuses, and each page behaves so."""

from __future__ import annotations

import re
import uuid

import pytest
from httpx import AsyncClient
from litestar import Litestar
from litestar.routes import HTTPRoute

from backend.access.guards import allowed_roles
from backend.access.roles import Role
from tests.backend.console.helpers import console_sign_in, csrf_of
from tests.conftest import Accounts

CONSOLE = "/console"
STATIC = "/console/static"


def _routes(app: Litestar, prefix: str) -> dict[tuple[str, str], object]:
    found: dict[tuple[str, str], object] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(prefix):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if method not in {"HEAD", "OPTIONS"}:
                found[(method, route.path)] = handler
    return found


def _console_routes(app: Litestar) -> dict[tuple[str, str], object]:
    return {k: h for k, h in _routes(app, CONSOLE).items() if not k[1].startswith(STATIC)}


def test_every_console_page_admits_exactly_the_roles_of_its_api_twin(app: Litestar) -> None:
    api = _routes(app, "/api/")
    api_by_path = {(m, p.rstrip("/") or "/"): h for (m, p), h in api.items()}
    pages = _console_routes(app)
    assert len(pages) >= 15
    for (method, path), handler in pages.items():
        opt = handler.opt  # type: ignore[attr-defined]
        if opt.get("public"):
            assert allowed_roles(handler) is None, (method, path)  # type: ignore[arg-type]
            assert path in {"/console/login", "/console/language"}, (method, path)
            continue
        twin_method, twin_path = opt["api"]
        twin = api_by_path.get((twin_method, twin_path.rstrip("/")))
        assert twin is not None, (method, path, opt["api"])
        assert allowed_roles(handler) == allowed_roles(twin), (method, path)  # type: ignore[arg-type]
        assert opt.get("transaction") == ("read" if method == "GET" else "write"), (method, path)


def _url(path: str) -> str:
    path = re.sub(r"\{\w+:uuid\}", lambda _: str(uuid.uuid4()), path)
    for name, value in (
        ("action", "disable"),
        ("export_format", "links.csv"),
        ("decision", "dismiss"),
    ):
        path = path.replace(f"{{{name}:str}}", value)
    return path


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_each_role_gets_exactly_the_console_pages_the_api_gives_it(
    app: Litestar, client: AsyncClient, accounts: Accounts, role: str
) -> None:
    account = await accounts.create(role)
    assert (await console_sign_in(client, account)).status_code == 303
    own = await client.get("/console/me/devices")
    assert own.status_code == 200
    csrf = csrf_of(own.text)
    for (method, path), handler in _console_routes(app).items():
        opt = handler.opt  # type: ignore[attr-defined]
        if opt.get("public") or path == "/console/logout":
            continue
        data = {"csrf": csrf} if method == "POST" else None
        answer = await client.request(method, _url(path), data=data)
        admitted = allowed_roles(handler)  # type: ignore[arg-type]
        assert admitted is not None
        assert answer.status_code < 500, (role, method, path, answer.text[:300])
        if Role(role) in admitted:
            assert answer.status_code != 403, (role, method, path, answer.text[:300])
            assert not answer.headers.get("location", "").startswith("/console/login")
        else:
            assert answer.status_code == 403, (role, method, path, answer.status_code)
            assert "text/html" in answer.headers["content-type"]
