"""Console sessions: sign-in as a browser device, cookie flags, CSRF, idle limit, ending a session."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import pytest
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backend.console.glue import TEMPLATES, session_cookie
from backend.console.services import (
    SESSION_COOKIE,
    csrf_token,
    open_session,
    seal_session,
)
from backend.db.models import AuditEntry, Device
from backend.db.session import read_transaction
from backend.runtime import Runtime
from tests.backend.console.helpers import console_sign_in, csrf_of
from tests.conftest import Accounts


def _replace_session(client: AsyncClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value)


def _set_cookies(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined, no-any-return]


async def _actions(runtime: Runtime) -> list[tuple[str, str]]:
    async with read_transaction(runtime.db) as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars()
        return [(row.action, row.outcome) for row in rows]


async def test_sign_in_sets_a_strict_http_only_cookie_and_registers_the_browser(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    admin = await accounts.create("admin")
    answer = await console_sign_in(client, admin, label="Office laptop - desk 4")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    session = next(c for c in _set_cookies(answer) if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/console" in session
    assert "Secure" not in session  # development mode: plain http on localhost
    async with read_transaction(runtime.db) as db:
        devices = list((await db.execute(select(Device))).scalars())
    assert [(d.registered_by, d.label) for d in devices] == [(admin.id, "Office laptop - desk 4")]
    assert ("auth.login", "success") in await _actions(runtime)


def test_the_cookie_is_secure_outside_development(runtime: Runtime) -> None:
    production = dataclasses.replace(
        runtime, settings=runtime.settings.model_copy(update={"mode": "production"})
    )
    header = session_cookie(production, "value").to_header(header="")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=strict" in header


async def test_a_wrong_password_is_refused_audited_and_backs_off_like_the_api(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    worker = await accounts.create("coordinator")
    worker.password = "wrong-password-000"
    statuses = [(await console_sign_in(client, worker)).status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429, statuses
    assert ("auth.login", "failure") in await _actions(runtime)
    # The API's sign-in shares the counters: it is throttled too.
    api = await client.post(
        "/api/v1/auth/token", json={"username": worker.username, "password": "x" * 12}
    )
    assert api.status_code == 429


async def test_sign_in_without_the_forms_token_is_refused(
    client: AsyncClient, accounts: Accounts
) -> None:
    admin = await accounts.create("admin")
    await client.get("/console/login")
    forged = await client.post(
        "/console/login",
        data={"csrf": "forged", "username": admin.username, "password": admin.password},
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in client.cookies


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    admin = await accounts.create("admin")
    target = await accounts.create("caseworker")
    await console_sign_in(client, admin)
    path = f"/console/admin/users/{target.id}/disable"
    for data in ({}, {"csrf": "x" * 43}):
        refused = await client.post(path, data=data)
        assert refused.status_code == 403, refused.text
    still = await client.post(
        "/api/v1/auth/token", json={"username": target.username, "password": target.password}
    )
    assert still.status_code == 200  # not disabled
    refusals = [a for a in await _actions(runtime) if a[0] == "console.csrf_refused"]
    assert refusals == [("console.csrf_refused", "denied")] * 2  # each attempt audited
    page = await client.get("/console/admin/users")
    done = await client.post(path, data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303
    refused_now = await client.post(
        "/api/v1/auth/token", json={"username": target.username, "password": target.password}
    )
    assert refused_now.status_code == 401


async def test_an_idle_session_ends(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    admin = await accounts.create("admin")
    await console_sign_in(client, admin)
    token = open_session(runtime, client.cookies[SESSION_COOKIE])
    assert token is not None
    idle = runtime.settings.console_idle_seconds
    _replace_session(client, seal_session(runtime, token, now=time.time() - idle - 5))
    answer = await client.get("/console/admin/users")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
    _replace_session(client, seal_session(runtime, token, now=time.time() - idle + 60))
    assert (await client.get("/console/admin/users")).status_code == 200


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tampered=st.text(min_size=0, max_size=600))
def test_a_forged_cookie_opens_no_session(runtime: Runtime, tampered: str) -> None:
    genuine = seal_session(runtime, "lt1_" + "a" * 43)
    if tampered != genuine:
        assert open_session(runtime, tampered) is None
    token, stamp, mac = genuine.split(".")
    assert open_session(runtime, f"lt1_{'b' * 43}.{stamp}.{mac}") is None
    assert open_session(runtime, f"{token}.{int(stamp) + 1}.{mac}") is None  # extending idle


async def test_disabling_the_account_ends_the_session_on_the_next_request(
    client: AsyncClient, accounts: Accounts
) -> None:
    coordinator = await accounts.create("coordinator")
    await console_sign_in(client, coordinator)
    assert (await client.get("/console/cases")).status_code == 200
    admin_headers = await accounts.remember_admin()
    disabled = await client.post(f"/api/v1/users/{coordinator.id}/disable", headers=admin_headers)
    assert disabled.status_code == 200
    answer = await client.get("/console/cases")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")


async def test_revoking_the_browser_ends_its_session_and_it_signs_in_as_a_new_device(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    coordinator = await accounts.create("coordinator")
    await console_sign_in(client, coordinator, label="Shared office PC")
    admin_headers = await accounts.remember_admin()
    devices = await client.get(f"/api/v1/users/{coordinator.id}/devices", headers=admin_headers)
    [device] = devices.json()
    assert device["label"] == "Shared office PC"
    revoked = await client.post(f"/api/v1/devices/{device['id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200
    answer = await client.get("/console/cases")
    assert answer.status_code == 303 and "reason=" in answer.headers["location"]
    again = await console_sign_in(client, coordinator)
    assert again.status_code == 403  # this browser's device is revoked: named, and forgotten
    fresh = await console_sign_in(client, coordinator)
    assert fresh.status_code == 303
    listed = await client.get(f"/api/v1/users/{coordinator.id}/devices", headers=admin_headers)
    assert len(listed.json()) == 2


async def test_sign_out_revokes_the_token(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    admin = await accounts.create("admin")
    await console_sign_in(client, admin)
    cookie = client.cookies[SESSION_COOKIE]
    page = await client.get("/console/admin/users")
    out = await client.post("/console/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    _replace_session(client, cookie)  # replay the old cookie
    answer = await client.get("/console/admin/users")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
    assert ("auth.logout", "success") in await _actions(runtime)


async def test_console_pages_carry_a_strict_csp(client: AsyncClient, accounts: Accounts) -> None:
    admin = await accounts.create("admin")
    await console_sign_in(client, admin)
    for path in ("/console/login", "/console/admin/users", "/console/static/console.css"):
        answer = await client.get(path)
        csp = answer.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, path
        assert "unsafe-inline" not in csp and "http" not in csp, path
        assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_template_holds_inline_script_or_style(template: str) -> None:
    text = (Path(TEMPLATES) / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline script"
    assert "<style" not in text and " style=" not in text, "inline style"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert "http://" not in text and "https://" not in text, "third-party origin"


async def test_the_language_switch_translates_and_localises(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    admin = await accounts.create("admin")
    await console_sign_in(client, admin)
    switched = await client.get(
        "/console/language", params={"lang": "th", "next": "/console/admin/users"}
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/console/admin/users"
    page = await client.get("/console/admin/users")
    assert '<html lang="th">' in page.text
    thai = runtime.catalogs.translator("th")
    assert thai("Sign out") != "Sign out" and thai("Sign out") in page.text
    back = await client.get("/console/admin/users", params={"role": "admin"})
    here = re.search(r'name="next" value="([^"]+)"', back.text)
    assert here and here.group(1) == "/console/admin/users?role=admin"
    returned = await client.get(
        "/console/language", params={"lang": "en", "next": "/console/admin/users?role=admin"}
    )
    assert returned.headers["location"] == "/console/admin/users?role=admin"
    escape = await client.get("/console/language", params={"lang": "th", "next": "//evil.test/"})
    assert escape.headers["location"] == "/console/"


def test_csrf_tokens_differ_per_session(runtime: Runtime) -> None:
    assert csrf_token(runtime, "lt1_a") != csrf_token(runtime, "lt1_b")


def test_every_console_text_is_in_the_catalogue_template() -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from backend.i18n.catalogs import LOCALES_DIR

    with (LOCALES_DIR / "lantern.pot").open("rb") as fh:
        known = {m.id for m in read_po(fh) if m.id}
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(TEMPLATES),
            method_map=[("**.html", "jinja2.ext:babel_extract")],
            keywords={"_": None},
        )
    }
    assert len(found) > 100
    assert found <= known, sorted(found - known)[:10]  # run `make locales`


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_every_form_control_has_a_label(template: str) -> None:
    text = (Path(TEMPLATES) / template).read_text()
    labelled = set(re.findall(r'<label for="([^"]+)"', text))
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", text):
        if 'type="hidden"' in control:
            continue
        found = re.search(r'id="([^"]+)"', control)
        assert found, control
        assert found.group(1) in labelled, control
