"""Settings sources, CORS defaults, and the refusals of `lantern serve` and `instruments check`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from backend.app import create_app
from backend.cli import main
from backend.crypto.keys import create_key_file
from backend.i18n.catalogs import DOMAIN, LOCALES_DIR, check_catalogs
from backend.settings import Settings
from screening import load_registry
from tests.conftest import client_for, make_settings


def test_settings_are_read_from_a_dotenv_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("LANTERN_TOKEN_LIFETIME_SECONDS=600\nLANTERN_LOG_LEVEL=ERROR\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.token_lifetime_seconds == 600
    assert settings.log_level == "ERROR"


def test_environment_overrides_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("LANTERN_TOKEN_LIFETIME_SECONDS=600\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANTERN_TOKEN_LIFETIME_SECONDS", "900")
    assert Settings().token_lifetime_seconds == 900


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert (
        settings.effective_database_url
        == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'lantern.db'}"
    )
    assert settings.effective_key_file == tmp_path.resolve() / "lantern.key"


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="token_lifetime_seconds"):
        Settings(_env_file=None, token_lifetime_seconds=5)  # type: ignore[call-arg]


async def test_no_cross_origin_access_by_default(tmp_path: Path, database_url: str) -> None:
    async with client_for(create_app(make_settings(tmp_path, database_url))) as client:
        response = await client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_configured_origins_are_allowed(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, cors_origins=["https://console.lantern.test"])
    async with client_for(create_app(settings)) as client:
        allowed = await client.options(
            "/api/v1/me",
            headers={
                "Origin": "https://console.lantern.test",
                "Access-Control-Request-Method": "GET",
            },
        )
        other = await client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://console.lantern.test"
    assert "access-control-allow-origin" not in other.headers


def test_serve_refuses_development_keys_in_production(tmp_path: Path) -> None:
    key = tmp_path / "dev.key"
    create_key_file(key, development=True)
    env = {
        "LANTERN_MODE": "production",
        "LANTERN_KEY_FILE": str(key),
        "LANTERN_DATA_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code != 0
    assert "refusing to start in production mode with development keys" in result.output


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    key = tmp_path / "dev.key"
    create_key_file(key, development=True)
    env = {"LANTERN_KEY_FILE": str(key), "LANTERN_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["serve", "--workers", "2"], env=env)
    assert result.exit_code != 0
    assert "PostgreSQL" in result.output


def test_instruments_check_passes_on_the_shipped_files() -> None:
    result = CliRunner().invoke(main, ["instruments", "check"])
    assert result.exit_code == 0, result.output
    assert "scam_compound v1" in result.output


def test_catalogue_check_finds_a_broken_placeholder(tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root, ignore=shutil.ignore_patterns("*.mo", "*.review.json"))
    po = root / "vi" / "LC_MESSAGES" / f"{DOMAIN}.po"
    text = po.read_text(encoding="utf-8")
    # Break the one placeholder the catalogue has: the code span of the auth hint.
    assert "`Authorization: Bearer <token>`" in text
    broken = text.replace("`Authorization: Bearer <token>`", "Authorization: Bearer", 1)
    # Only the translation (the second occurrence is the msgstr) must change.
    first = text.index("`Authorization: Bearer <token>`")
    second = text.index("`Authorization: Bearer <token>`", first + 1)
    broken = (
        text[:second]
        + "Authorization: Bearer"
        + text[second + len("`Authorization: Bearer <token>`") :]
    )
    po.write_text(broken, encoding="utf-8")
    report = check_catalogs(load_registry(), root)
    assert any("placeholders differ" in e and e.startswith("vi") for e in report.errors), (
        report.errors
    )


def test_catalogue_check_counts_a_missing_instrument_text(tmp_path: Path) -> None:
    from babel.messages.pofile import read_po, write_po

    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root, ignore=shutil.ignore_patterns("*.mo", "*.review.json"))
    po = root / "th" / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="th")
    victim = next(m for m in catalog if m.context and m.context.endswith(".text"))
    victim.string = ""
    with po.open("wb") as fh:
        write_po(fh, catalog)
    report = check_catalogs(load_registry(), root)
    assert report.missing["th"] == 1
    assert report.errors == []


def test_instruments_check_strict_passes_for_every_shipped_version_and_language() -> None:
    """Every v1 and v2 text is translated (as an unreviewed draft at least) in every language."""
    result = CliRunner().invoke(main, ["instruments", "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "scam_compound v1" in result.output and "scam_compound v2" in result.output
