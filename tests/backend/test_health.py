"""Liveness and readiness."""

from __future__ import annotations

from pathlib import Path

from httpx import AsyncClient

from backend.app import create_app
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
