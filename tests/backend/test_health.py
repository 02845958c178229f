"""Liveness and readiness."""

from __future__ import annotations

import json
import re
from pathlib import Path

from httpx import AsyncClient

from backend.app import create_app
from backend.db.migrate import head_revisions
from backend.health.controllers import Health
from backend.settings import Settings
from tests.backend.world import World
from tests.conftest import assert_problem, client_for, is_postgres, make_settings


async def test_live_answers_without_authentication(client: AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_database_and_migration(client: AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["migrations"]


async def test_ready_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    # An empty SQLite file stands for a database nobody migrated (on either backend).
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    async with client_for(create_app(settings)) as client:
        response = await client.get("/health/ready")
    assert_problem(response, 503, "not-ready")


async def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = (
        "postgresql+asyncpg://postgres@127.0.0.1:1/none"
        if is_postgres()
        else f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"
    )
    async with client_for(create_app(make_settings(tmp_path, url))) as client:
        response = await client.get("/health/ready")
    assert_problem(response, 503, "not-ready")


async def test_ready_reports_the_key_file_and_the_backlog(
    client: AsyncClient, world: World
) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["key_file"] == "ok"
    # The seeded world has one open conflict and one open quarantined mutation.
    assert body["backlog"]["conflicts"] == {"open": 1}
    assert body["backlog"]["quarantine"] == {"open": 1}
    assert isinstance(body["backlog"]["matching_pending"], int)
    assert world.case_id not in response.text


async def test_ready_is_503_when_the_key_file_is_gone_or_opened_up(
    client: AsyncClient, settings: Settings
) -> None:
    key_file = settings.effective_key_file
    key_file.chmod(0o644)
    assert_problem(await client.get("/health/ready"), 503, "not-ready")
    key_file.chmod(0o600)
    assert (await client.get("/health/ready")).status_code == 200
    key_file.rename(key_file.with_suffix(".moved"))
    assert_problem(await client.get("/health/ready"), 503, "not-ready")


def test_the_readme_example_is_what_the_server_says() -> None:
    """The README's readiness example names the head migration and every field served."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"`(\{\"status\": \"ok\", \"database\".*?\})`", readme, re.DOTALL)
    assert match, "no readiness example in the README"
    example = json.loads(match.group(1))
    head = ",".join(sorted(head_revisions("sqlite+aiosqlite://")))
    assert example["migrations"] == head
    assert set(example) == set(Health.__struct_fields__)
