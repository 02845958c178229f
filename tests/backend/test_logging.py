"""Logs never hold passwords, tokens, password hashes or case content."""

from __future__ import annotations

import io
import logging
import uuid

from httpx import AsyncClient
from sqlalchemy import select

from backend.db.models import User
from backend.observability import JSONFormatter
from backend.runtime import Runtime
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
