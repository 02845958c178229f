"""The ``lantern`` command: serve, migrate, manage keys, users and the audit log."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click
import msgspec

from backend.settings import Settings

__all__ = ["main"]


def _settings() -> Settings:
    return Settings()


@click.group()
def main() -> None:
    """Lantern: the server behind the caseworker app."""
    # Databases, logs and keys this process creates are its operator's alone.
    os.umask(0o077)


# -- serve ---------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API with uvicorn (OpenAPI UI at /docs)."""
    import uvicorn

    from backend.app import ConfigurationError, build_runtime
    from backend.crypto.keys import create_key_file

    settings = _settings()
    if settings.mode == "development" and not settings.effective_key_file.exists():
        create_key_file(settings.effective_key_file, development=True)
        click.echo(f"created development keys at {settings.effective_key_file}", err=True)
    if settings.is_sqlite and workers > 1:
        raise click.UsageError("several workers need PostgreSQL (LANTERN_DATABASE_URL)")
    try:
        build_runtime(settings)  # fail fast, with a clear message, before forking workers
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
        proxy_headers=settings.trust_forwarded_for,
        forwarded_allow_ips=settings.forwarded_allow_ips if settings.trust_forwarded_for else None,
        server_header=False,
    )


# -- db ------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (creates the SQLite file and data directory if needed)."""
    from backend.db.migrate import upgrade

    settings = _settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    upgrade(settings.effective_database_url, revision)
    click.echo(f"database at {revision}", err=True)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (``base`` for empty)."""
    from backend.db.migrate import downgrade

    downgrade(_settings().effective_database_url, revision)


@db.command("current")
def db_current() -> None:
    """Print the database's revision and the code's head."""
    from backend.db.engine import Database
    from backend.db.migrate import current_revisions, head_revisions

    settings = _settings()

    async def run() -> set[str]:
        database = Database(settings)
        try:
            return await current_revisions(database.engine)
        finally:
            await database.dispose()

    current = asyncio.run(run())
    heads = head_revisions(settings.effective_database_url)
    click.echo(
        f"current: {','.join(sorted(current)) or '(empty)'}  head: {','.join(sorted(heads))}"
    )
    if current != heads:
        sys.exit(1)


@db.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration (review it before committing)."""
    from alembic import command

    from backend.db.migrate import alembic_config

    command.revision(
        alembic_config(_settings().effective_database_url),
        message=message,
        autogenerate=autogenerate,
    )


# -- keys ----------------------------------------------------------------------


@main.group()
def keys() -> None:
    """The master key file."""


@keys.command("init")
@click.option("--production", is_flag=True, help="Mark the keys as production keys.")
@click.option("--if-missing", is_flag=True, help="Do nothing if the key file exists.")
def keys_init(production: bool, if_missing: bool) -> None:
    """Create the key file (mode 0600) with a fresh master secret."""
    from backend.crypto.keys import KeyFileError, create_key_file

    path = _settings().effective_key_file
    if if_missing and path.exists():
        return
    try:
        ring = create_key_file(path, development=not production)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    kind = "development" if ring.development else "production"
    click.echo(f"created {kind} key {ring.active_id} at {path}", err=True)


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a new master secret and make it active (old ones are kept)."""
    from backend.crypto.keys import add_master_key

    click.echo(f"active key is now {add_master_key(_settings().effective_key_file)}", err=True)


# -- users ---------------------------------------------------------------------


def _read_password() -> str:
    if sys.stdin.isatty():
        value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["caseworker", "coordinator", "investigator", "admin"]),
)
def users_create(username: str, role: str) -> None:
    """Create an account; the password is read from a prompt, or from stdin when piped."""
    from backend.app import ConfigurationError, build_runtime
    from backend.errors import LanternError
    from backend.users.services import UserService

    password = _read_password()
    try:
        runtime = build_runtime(_settings())
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None

    async def run() -> Any:
        try:
            async with runtime.db.session() as session, session.begin():
                return await UserService(session, runtime).create(
                    actor=None,
                    username=username,
                    password=password,
                    role=role,  # type: ignore[arg-type]
                )
        finally:
            await runtime.db.dispose()

    try:
        user = asyncio.run(run())
    except LanternError as exc:
        reasons = "; ".join(f"{e.field} {e.reason}" for e in exc.errors) or str(exc)
        raise click.ClickException(reasons) from None
    click.echo(f"created {user.role} {user.username} ({user.id})")


# -- audit ---------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the audit chain; exit 1 and name the first broken entry if any."""
    from backend.app import ConfigurationError, build_runtime
    from backend.audit.services import AuditLog

    try:
        runtime = build_runtime(_settings())
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None

    async def run() -> Any:
        try:
            async with runtime.db.read_session() as session, session.begin():
                return await AuditLog(session, runtime.keyring).verify()
        finally:
            await runtime.db.dispose()

    result = asyncio.run(run())
    click.echo(msgspec.json.encode(result).decode())
    if not result.ok:
        click.echo(
            f"audit chain broken at entry {result.first_broken_seq}: {result.reason}", err=True
        )
        sys.exit(1)


# -- translations --------------------------------------------------------------


@main.group()
def i18n() -> None:
    """Translation catalogues under locales/."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Extract English source strings into locales/lantern.pot."""
    from backend.i18n.catalogs import extract_template

    click.echo(f"wrote {extract_template()}", err=True)


@i18n.command("update")
def i18n_update() -> None:
    """Merge the template into every language (new strings arrive untranslated)."""
    from backend.i18n.catalogs import update_catalogs

    click.echo(f"updated {', '.join(update_catalogs()) or 'no languages'}", err=True)


# -- instruments -----------------------------------------------------------------


@main.group()
def instruments() -> None:
    """Screening instruments."""


@instruments.command("check")
@click.option("--strict", is_flag=True, help="Also fail when a translation is missing.")
def instruments_check(strict: bool) -> None:
    """Validate every instrument definition and every shipped catalogue."""
    from backend.i18n.catalogs import check_catalogs
    from screening import InstrumentDefinitionError, load_registry

    try:
        registry = load_registry()
    except InstrumentDefinitionError as exc:
        raise click.ClickException(f"invalid instrument definition: {exc}") from None
    for instrument in registry:
        click.echo(f"ok   {instrument.key} v{instrument.version}: {len(instrument.items)} items")
    report = check_catalogs(registry)
    for line in report.lines():
        click.echo(line)
    if report.errors or (strict and report.missing):
        raise click.ClickException("catalogue check failed")


# -- contract ------------------------------------------------------------------


@main.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("openapi/openapi.json"))
def openapi(out: Path) -> None:
    """Write the OpenAPI document generated from the app."""
    from backend.contract import render_openapi

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_openapi(), encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
