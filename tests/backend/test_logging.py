"""Logs never hold passwords, tokens, password hashes or case content."""

from __future__ import annotations

import io
import json
import logging
import uuid

from httpx import AsyncClient
from sqlalchemy import select

from backend.db.models import User
from backend.observability import JSONFormatter
from backend.runtime import Runtime
from tests.backend.investigations.support import investigator, tron
from tests.conftest import PASSWORD, Accounts


async def test_logs_hold_no_secrets(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        account = await accounts.create("admin")
        token = await accounts.token(account, device_id=uuid.uuid4())
        headers = {"Authorization": f"Bearer {token}"}
        await client.post(
            "/api/v1/auth/token",
            json={"username": account.username, "password": "wrong-" + PASSWORD},
        )
        new_password = "another-long-synthetic-passphrase"
        await client.post(
            "/api/v1/users",
            headers=headers,
            json={"username": "log.probe", "password": new_password, "role": "caseworker"},
        )
        await client.get("/api/v1/me", headers=headers)
        # A direct attempt to log a secret through `extra` is dropped too.
        logging.getLogger("lantern.test").info(
            "probe Authorization: Bearer %s",
            token,
            extra={"password": PASSWORD, "detail": "Fakename"},
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    async with runtime.db.session() as session:
        hashes = (await session.execute(select(User.password_hash))).scalars().all()
    output = stream.getvalue()
    assert "lantern.access" in output  # the log did capture the requests
    for secret in [PASSWORD, new_password, token, token[4:], "Fakename", *hashes]:
        assert secret not in output


async def test_the_access_log_names_routes_not_paths(
    client: AsyncClient, accounts: Accounts
) -> None:
    own = tron("logged-lookup-address")
    who = await investigator(client, accounts)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    access = logging.getLogger("lantern.access")
    access.addHandler(handler)
    previous = access.level
    access.setLevel(logging.INFO)
    try:
        await who.lookup("tron", own)
        await client.get(f"/api/v1/no-such-route/{own}", headers=who.headers)
    finally:
        access.removeHandler(handler)
        access.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    paths = [line["path"] for line in lines if line["logger"] == "lantern.access"]
    assert paths == [
        "/api/v1/investigations/{investigation_id}/addresses/{chain}/{address}",
        "(unmatched)",
    ]
    for secret in (own, who.investigation, own.lower()):
        assert secret not in stream.getvalue()
