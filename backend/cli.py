"""The ``lantern`` command: serve, migrate, manage keys, users and the audit log."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec

from backend.access.roles import Role
from backend.settings import Settings

if TYPE_CHECKING:
    from backend.runtime import Runtime

__all__ = ["main"]

T = TypeVar("T")


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
        runtime = build_runtime(settings)  # fail fast, with a clear message, before forking
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    _require_migrated(runtime)
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


def _require_migrated(runtime: Runtime) -> None:
    """Refuse to serve a database that is not at this code's migration."""
    from backend.db.migrate import current_revisions, head_revisions

    async def current() -> set[str]:
        try:
            return await current_revisions(runtime.db.engine)
        finally:
            await runtime.db.dispose()

    expected = head_revisions(runtime.settings.effective_database_url)
    try:
        found = asyncio.run(current())
    except Exception as exc:
        raise click.ClickException(
            f"cannot read the database's migration state ({type(exc).__name__}): is it reachable?"
        ) from None
    if found != expected:
        at = ", ".join(sorted(found)) or "empty"
        raise click.ClickException(
            f"the database is not migrated (at {at}, code expects {', '.join(sorted(expected))}): "
            "run `lantern db upgrade`"
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
    if revision == "head":
        built = asyncio.run(_fill_triage_once(settings))
        if built is not None:
            click.echo(f"triage lines computed for {built} cases", err=True)


async def _fill_triage_once(settings: Settings) -> int | None:
    """Fill the triage projection the first time the schema has it (None: already filled)."""
    from backend.cases.projection import fill_once
    from backend.db.engine import Database
    from backend.db.session import write_transaction

    database = Database(settings)
    try:
        async with write_transaction(database) as session:
            return await fill_once(session)
    finally:
        await database.dispose()


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
@click.option(
    "--now",
    is_flag=True,
    help="Stage, activate and re-wrap in one go: only where every worker reads this key file.",
)
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000))
def keys_rotate(now: bool, batch_size: int) -> None:
    """Stage a new master secret (step 1 of 6); old ones are kept.

    Running workers re-read the key file when it changes, so each of them can
    read under the new key at once. Put the file in place on every machine,
    then run `lantern keys activate KEY_ID`, then `lantern keys rewrap`.

    With --now (one machine, or a key file every worker shares), the new key
    is activated at once and every data key re-wrapped under it, while the
    server runs; if interrupted, `lantern keys rewrap` finishes the job.
    """
    from backend.crypto.keys import add_master_key

    path = _settings().effective_key_file
    key_id = add_master_key(path, activate=now)
    if now:
        click.echo(f"active key is now {key_id}; re-wrapping every data key under it", err=True)
        _rewrap(batch_size)
        return
    click.echo(
        f"staged key {key_id}: once every machine holds this key file, run "
        f"`lantern keys activate {key_id}`, then `lantern keys rewrap`",
        err=True,
    )


@keys.command("activate")
@click.argument("key_id")
def keys_activate(key_id: str) -> None:
    """Make a staged master key active (step 2 of 6): new data keys are wrapped under it."""
    from backend.crypto.keys import KeyFileError, activate_master_key

    try:
        activate_master_key(_settings().effective_key_file, key_id)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"active key is now {key_id}: run `lantern keys rewrap` to move every data key to it",
        err=True,
    )


@keys.command("rewrap")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000))
def keys_rewrap(batch_size: int) -> None:
    """Move everything re-wrappable to the active master key (step 3 of 6), while serving.

    One transaction per batch; several runs may go at once; a run that is
    interrupted resumes when started again. Prints one line per batch.
    """
    _rewrap(batch_size)


def _rewrap(batch_size: int) -> None:
    from backend.rotation.services import BatchReport, RunReport, rewrap

    def progress(batch: BatchReport) -> None:
        click.echo(
            f"batch {batch.table}: {batch.rewrapped} re-wrapped under {batch.target}"
            + (f", {batch.failed} could not be unwrapped" if batch.failed else "")
        )
        sys.stdout.flush()

    async def work(runtime: Runtime) -> RunReport:
        return await rewrap(runtime, batch_size=batch_size, on_batch=progress)

    report = _run(work)
    click.echo(f"run {report.run_id}: {report.total} re-wrapped in {report.batches} batches")
    failed = sum(report.failed.values())
    if failed:
        raise click.ClickException(
            f"{failed} keys could not be unwrapped (their master key is missing from the key file)"
        )


@keys.command("status")
def keys_status() -> None:
    """Each master key's state, the rows that name it, and the steps that move them.

    One JSON object per line: ``tables`` counts rows per table (every column
    the models mark as naming a master key); ``steps`` lists the commands that
    must run before the key can be retired (empty: nothing holds it back).
    """
    from backend.crypto.keys import load_key_file
    from backend.db.session import read_transaction
    from backend.rotation.services import steps_for, usage

    async def work(runtime: Runtime) -> dict[str, dict[str, int]]:
        async with read_transaction(runtime.db) as session:
            return await usage(session)

    found = _run(work)
    ring = load_key_file(_settings().effective_key_file)
    for key_id in dict.fromkeys([*ring.key_ids, *found]):
        try:
            state: str = ring.state(key_id)
        except Exception:
            state = "unknown"
        rows = found.get(key_id, {})
        line = {
            "id": key_id,
            "state": state,
            "rows": sum(rows.values()),
            "tables": rows,
            "steps": steps_for(rows) if state != "active" else [],
        }
        click.echo(msgspec.json.encode(line).decode())


@keys.command("retire")
@click.argument("key_id")
def keys_retire(key_id: str) -> None:
    """Retire a superseded master key (step 5 of 6); refused while any row still needs it.

    The refusal names the command that moves each kind of row (`lantern keys
    rewrap`, `lantern duplicates scan`); `lantern keys status` lists them as `steps`.
    """
    from backend.rotation.services import retire

    async def work(runtime: Runtime) -> None:
        await retire(runtime, key_id)

    _run(work)
    click.echo(f"retired {key_id}: destroy it with `lantern keys destroy {key_id}`", err=True)


@keys.command("destroy")
@click.argument("key_id")
def keys_destroy(key_id: str) -> None:
    """Destroy a retired master key's secret for good (step 6 of 6).

    Checks again that no row uses it. Backups whose data keys are wrapped
    under it can no longer be read; audit entries sealed under it can still
    be verified.
    """
    from backend.rotation.services import destroy

    async def work(runtime: Runtime) -> None:
        await destroy(runtime, key_id)

    _run(work)
    click.echo(f"destroyed {key_id}", err=True)


# -- duplicates ----------------------------------------------------------------


@main.group()
def duplicates() -> None:
    """Possible duplicate persons."""


@duplicates.command("scan")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000))
def duplicates_scan(batch_size: int) -> None:
    """(Re-)encode every case under the active master key and propose possible duplicates.

    Run it once for cases that predate duplicate detection, and after every
    master-key rotation (step 4 of 6, before `lantern keys retire`): encodings
    under an old key are not compared with new ones. Nothing is ever merged.
    """
    from backend.duplicates.services import ScanReport, scan

    async def work(runtime: Runtime) -> ScanReport:
        return await scan(runtime, batch_size=batch_size)

    report = _run(work)
    click.echo(f"encoded {report.cases - report.unreadable} cases ({report.unreadable} unreadable)")


@duplicates.command("match")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000))
def duplicates_match(batch_size: int) -> None:
    """Compare the cases sync encoded since the last run with their blocks; propose pairs.

    The server does this by itself every LANTERN_DUPLICATES_MATCH_SECONDS;
    run it from cron where that is 0.
    """
    from backend.duplicates.services import match_pending

    async def work(runtime: Runtime) -> int:
        return await match_pending(runtime, batch_size=batch_size)

    click.echo(f"compared {_run(work)} cases")


# -- users ---------------------------------------------------------------------


def _read_password() -> str:
    if sys.stdin.isatty():
        value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


def _run(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Build this process's runtime, run ``work`` on it, and close the database."""
    from backend.app import ConfigurationError, build_runtime
    from backend.errors import LanternError

    try:
        runtime = build_runtime(_settings())
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None

    async def run() -> T:
        try:
            return await work(runtime)
        finally:
            await runtime.db.dispose()

    try:
        return asyncio.run(run())
    except LanternError as exc:
        reasons = "; ".join(f"{e.field} {e.reason}" for e in exc.errors) or str(exc)
        raise click.ClickException(reasons) from None


@main.group()
def users() -> None:
    """Accounts: create, list, disable, unlock (an account or a network)."""


_ROLE_CHOICE = click.Choice([role.value for role in Role])


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=_ROLE_CHOICE)
def users_create(username: str, role: str) -> None:
    """Create an account; the password is read from a prompt, or from stdin when piped."""
    from backend.access.roles import Role
    from backend.db.session import write_transaction
    from backend.users.services import UserService

    password = _read_password()

    async def work(runtime: Runtime) -> Any:
        async with write_transaction(runtime.db) as session:
            return await UserService(session, runtime).create(
                actor=None, username=username, password=password, role=Role(role)
            )

    user = _run(work)
    click.echo(f"created {user.role} {user.username} ({user.id})")


@users.command("list")
@click.option("--role", type=_ROLE_CHOICE, default=None, help="Only accounts of this role.")
@click.option("--username", default=None, help="Only usernames containing this.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000))
def users_list(role: str | None, username: str | None, limit: int) -> None:
    """List accounts, one JSON object per line."""
    from backend.access.principal import Principal
    from backend.access.roles import Role
    from backend.db.session import read_transaction
    from backend.users.services import UserService

    cli_admin = Principal(
        user_id=uuid.UUID(int=0), username="cli", role=Role.ADMIN, token_id=uuid.UUID(int=0)
    )

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        async with read_transaction(runtime.db) as session:
            found = await UserService(session, runtime).list(
                cli_admin,
                role=Role(role) if role else None,
                username=username,
                limit=limit,
                offset=0,
            )
            return [
                {
                    "id": str(u.id),
                    "username": u.username,
                    "role": u.role,
                    "disabled": u.disabled_at is not None,
                }
                for u in found
            ]

    for line in _run(work):
        click.echo(msgspec.json.encode(line).decode())


def _act_on_user(username: str, action: str, act: Callable[[Any, Any], Awaitable[str]]) -> None:
    from backend.db.session import write_transaction
    from backend.users.services import UserService

    async def work(runtime: Runtime) -> str:
        async with write_transaction(runtime.db) as session:
            service = UserService(session, runtime)
            user = await service.get(None, action=action, username=username)
            return await act(service, user)

    try:
        click.echo(_run(work))
    except click.ClickException as exc:
        if exc.message != "No such account.":
            raise
        raise click.ClickException(f"no account named {username!r}") from None


@users.command("disable")
@click.option("--username", required=True)
def users_disable(username: str) -> None:
    """Disable an account: every token refused at once, sign-in refused."""

    async def act(service: Any, user: Any) -> str:
        await service.set_disabled(None, user, disabled=True)
        return f"disabled {user.username}"

    _act_on_user(username, "user.disable", act)


@users.command("enable")
@click.option("--username", required=True)
def users_enable(username: str) -> None:
    """Enable a disabled account."""

    async def act(service: Any, user: Any) -> str:
        await service.set_disabled(None, user, disabled=False)
        return f"enabled {user.username}"

    _act_on_user(username, "user.enable", act)


@users.command("unlock")
@click.option("--username", required=True)
def users_unlock(username: str) -> None:
    """End every sign-in back-off of an account at once."""

    async def act(service: Any, user: Any) -> str:
        cleared = await service.unlock(None, user)
        return f"unlocked {user.username} ({cleared} counters cleared)"

    _act_on_user(username, "user.unlock", act)


@users.command("unlock-network")
@click.argument("address")
def users_unlock_network(address: str) -> None:
    """End the sign-in back-off of one client network (an office's address) at once.

    ADDRESS is an IPv4 address, an IPv6 address or its /64. Accounts' own
    counters stay (`lantern users unlock --username` clears those). Audited.
    """
    from backend.auth.services import SignIn

    async def work(runtime: Runtime) -> int:
        return await SignIn(runtime).unlock_network(address, actor=None)

    click.echo(f"unlocked the network ({_run(work)} counters cleared)")


@users.command("revoke-tokens")
@click.option("--username", required=True)
def users_revoke_tokens(username: str) -> None:
    """Revoke every token of an account (it must sign in again everywhere)."""

    async def act(service: Any, user: Any) -> str:
        revoked = await service.revoke_tokens(None, user)
        return f"revoked {revoked} tokens of {user.username}"

    _act_on_user(username, "user.revoke_tokens", act)


# -- sync ----------------------------------------------------------------------


@main.group()
def sync() -> None:
    """The sync change log: compaction and epochs."""


@sync.command("compact")
@click.option("--days", type=click.IntRange(1, 36500), default=None, help="Horizon in days.")
def sync_compact(days: int | None) -> None:
    """Remove superseded change-log rows older than the horizon (LANTERN_SYNC_HORIZON_DAYS).

    Every record keeps its latest change and tombstones stay, so a device pulling
    from the start still gets everything; a device whose cursor is older than
    the horizon is told to sync from the start, keeping its unpushed changes.
    """
    import datetime as dt

    from backend.db.session import write_transaction
    from backend.sync.pull import PullService

    async def work(runtime: Runtime) -> int:
        horizon = dt.timedelta(days=days or runtime.settings.sync_horizon_days)
        async with write_transaction(runtime.db) as session:
            return await PullService(session, runtime).compact(horizon=horizon)

    click.echo(f"removed {_run(work)} superseded change rows")


@sync.command("new-epoch")
def sync_new_epoch() -> None:
    """Start a new sync epoch: run it right after restoring the database from a backup.

    Devices holding a cursor of the old epoch are told to push everything they
    hold again (the durable outcomes make that safe) and to pull from the start,
    so no phone goes on believing its data is on the server.
    """
    from backend.db.session import write_transaction
    from backend.sync.pull import PullService

    async def work(runtime: Runtime) -> str:
        async with write_transaction(runtime.db) as session:
            return await PullService(session, runtime).new_epoch()

    click.echo(f"new sync epoch {_run(work)}: devices will re-push, then resync")


@main.group()
def retention() -> None:
    """Erase cases kept longer than the retention setting allows."""


@retention.command("run")
@click.option("--apply", "apply_", is_flag=True, help="Erase; without it, only report (dry run).")
def retention_run(apply_: bool) -> None:
    """Report (or, with --apply, erase) cases closed more than LANTERN_RETENTION_DAYS_AFTER_CLOSURE days ago.

    A case is closed when a coordinator closes it (`POST /api/v1/cases/{id}/close`).
    Each case is erased in a transaction of its own, exactly as a coordinator's
    erasure (reason `retention`), and audited. Prints a JSON report.
    """

    from backend.db.base import utcnow
    from backend.db.session import read_transaction, write_transaction
    from backend.erasure.schemas import RetentionReport
    from backend.erasure.services import ErasureService

    async def work(runtime: Runtime) -> RetentionReport:
        async with read_transaction(runtime.db) as session:
            service = ErasureService(session, runtime)
            cutoff, due = await service.due(utcnow())
            days = service.retention_days
        erased: list[uuid.UUID] = []
        records = 0
        if apply_:
            for case_id in due:
                async with write_transaction(runtime.db) as session:
                    count = await ErasureService(session, runtime).erase_by_system(
                        case_id, reason="retention"
                    )
                if count:
                    erased.append(case_id)
                    records += count
        return RetentionReport(
            applied=apply_,
            days=days,
            cutoff=cutoff,
            cases=erased if apply_ else due,
            records=records if apply_ else None,
        )

    click.echo(msgspec.json.encode(_run(work)).decode())


@main.group()
def linkage() -> None:
    """The linkage index investigators query."""


@linkage.command("reindex")
def linkage_reindex() -> None:
    """Rebuild the linkage index from the synced records (opening each disclosure)."""
    from backend.db.session import write_transaction
    from backend.investigations.projection import reindex

    async def work(runtime: Runtime) -> int:
        async with write_transaction(runtime.db) as session:
            return await reindex(session, runtime)

    click.echo(f"reindexed {_run(work)} disclosure records")


@main.group()
def triage() -> None:
    """The triage projection coordinators' lists read."""


@triage.command("rebuild")
def triage_rebuild() -> None:
    """Recompute every case's triage line from the synced records' facets."""
    from backend.cases.projection import rebuild
    from backend.db.session import write_transaction

    async def work(runtime: Runtime) -> int:
        async with write_transaction(runtime.db) as session:
            return await rebuild(session)

    click.echo(f"triage lines computed for {_run(work)} cases")


def _sqlite_path(settings: Settings) -> Path:
    return Path(settings.effective_database_url.split("///", 1)[1])


def _postgres_client(program: str, settings: Settings) -> tuple[list[str], dict[str, str]]:
    """``program`` (pg_dump, pg_restore) pointed at the configured database.

    The password goes in the environment (``PGPASSWORD``), never on the command
    line, where any local user could read it.
    """
    import shutil

    from sqlalchemy import make_url

    found = shutil.which(program)
    if found is None:
        raise click.ClickException(
            f"{program} is not installed: install the PostgreSQL client "
            "(`apt-get install postgresql-client`) at the server's major version or newer"
        )
    url = make_url(settings.effective_database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    command = [
        found,
        "--host",
        url.host or "localhost",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
        "--dbname",
        str(url.database),
    ]
    return command, env


def _call(command: list[str], env: dict[str, str]) -> None:
    import subprocess

    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise click.ClickException(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
def backup(out: Path) -> None:
    """Back the database up to OUT, consistently, while the server runs.

    SQLite: a copy made with SQLite's online backup. PostgreSQL: ``pg_dump``
    in its custom format (one consistent snapshot; restore it with ``lantern
    restore``). Either holds ciphertext and wrapped data keys only; keep the
    key file elsewhere: a backup without it is unreadable, and an erased
    case's data key is gone from every later backup.
    """
    import sqlite3

    settings = _settings()
    if out.exists():
        raise click.ClickException(f"{out} exists; refusing to overwrite it")
    if settings.is_sqlite:
        source = _sqlite_path(settings)
        with sqlite3.connect(source) as src, sqlite3.connect(out) as dst:
            src.backup(dst)
    else:
        command, env = _postgres_client("pg_dump", settings)
        _call(
            [*command, "--format=custom", "--no-owner", "--no-privileges", "--file", str(out)], env
        )
    out.chmod(0o600)
    click.echo(f"backed up the database to {out}")


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(source: Path) -> None:
    """Restore the database from a backup (stop the servers first), then start a new epoch.

    One command on both databases: the backup replaces the database (SQLite's
    backup, or ``pg_restore --clean`` in one transaction); cases erased since
    the backup was taken (as the database being replaced records them) are
    erased again, so a restore never brings an erased person back; the
    database is analysed, so the first pulls do not run on a planner that
    knows nothing; and a new sync epoch makes every device push what it holds
    again before it pulls (phones that synced after the backup hold data the
    restored database lacks).
    """
    import sqlite3

    settings = _settings()
    erased = _erased_cases(settings)
    if settings.is_sqlite:
        target = _sqlite_path(settings)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
    else:
        command, env = _postgres_client("pg_restore", settings)
        _call(
            [
                *command,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                str(source),
            ],
            env,
        )
    click.echo(f"restored the database from {source}")
    if erased:
        again = _reapply_erasures(erased)
        click.echo(f"erased again {again} of {len(erased)} cases erased since the backup was taken")
    _analyse()
    click.echo("analysed the restored database")
    sync_new_epoch.callback()  # type: ignore[misc]


_ERASED = "SELECT case_id, erasure_reason FROM case_lifecycle WHERE erased_at IS NOT NULL"


def _erased_cases(settings: Settings) -> list[tuple[uuid.UUID, str]]:
    """The cases erased in the database about to be overwritten, with their reasons."""
    import sqlite3

    if settings.is_sqlite:
        database = _sqlite_path(settings)
        if not database.exists():
            return []
        try:
            with sqlite3.connect(database) as conn:
                rows = conn.execute(_ERASED).fetchall()
        except sqlite3.OperationalError:  # not migrated this far: nothing was erased
            return []
        return [(uuid.UUID(str(case_id)), str(reason)) for case_id, reason in rows]

    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    async def work(runtime: Runtime) -> list[tuple[uuid.UUID, str]]:
        try:
            async with runtime.db.engine.connect() as conn:
                found = (await conn.execute(text(_ERASED))).all()
        except ProgrammingError:  # not migrated this far: nothing was erased
            return []
        return [(uuid.UUID(str(case_id)), str(reason)) for case_id, reason in found]

    return _run(work)


def _analyse() -> None:
    """Refresh the planner's statistics of every table (``ANALYZE``)."""
    from sqlalchemy import text

    async def work(runtime: Runtime) -> None:
        async with runtime.db.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()

    _run(work)


def _reapply_erasures(erased: list[tuple[uuid.UUID, str]]) -> int:
    """Erase again, in a restored database, the cases erased after its backup was taken."""
    from backend.db.session import write_transaction
    from backend.erasure.services import ErasureService

    async def work(runtime: Runtime) -> int:
        done = 0
        for case_id, reason in erased:
            async with write_transaction(runtime.db) as session:
                count = await ErasureService(session, runtime).erase_by_system(
                    case_id,
                    reason=reason,  # type: ignore[arg-type]
                )
            done += 1 if count else 0
        return done

    return _run(work)


# -- audit ---------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk a snapshot of the audit chain; exit 1 and name the first broken entry if any.

    Reads in a read-only transaction: it never holds the write lock.
    """
    from backend.audit.services import AuditLog, Verification
    from backend.db.session import read_transaction

    async def work(runtime: Runtime) -> Verification:
        async with read_transaction(runtime.db) as session:
            return await AuditLog(session, runtime.keyring).verify()

    result = _run(work)
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
    if report.errors or (strict and any(report.missing.values())):
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


# -- demo ----------------------------------------------------------------------


@main.command()
@click.option("--cases", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--caseworkers", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option(
    "--password",
    default=None,
    help="One password for every demo account (15+ characters); default: a new one each.",
)
@click.option("--seed", default=None, type=int, help="Seed the generator for repeatable data.")
def demo(cases: int, caseworkers: int, password: str | None, seed: int | None) -> None:
    """Seed a synthetic operation through the sync API (in process: no server needed).

    Makes a coordinator and caseworkers, signs each in on a new device, creates
    an operation, and pushes cases with consents, screenings, disclosures and
    referrals with ``POST /api/v1/sync/push`` against the configured database.
    Every name and number is invented.
    """
    import httpx

    from backend.app import create_app
    from backend.demo import DemoResult, seed_demo

    async def work(runtime: Runtime) -> DemoResult:
        transport = httpx.ASGITransport(app=create_app(runtime=runtime))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            return await seed_demo(
                runtime, client, cases=cases, caseworkers=caseworkers, password=password, seed=seed
            )

    from backend.app import ConfigurationError, build_runtime

    try:
        _require_migrated(build_runtime(_settings()))
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    result = _run(work)
    click.echo(f"operation {result.operation_name} ({result.operation_id})")
    click.echo(f"cases: {result.cases}; records pushed: {sum(result.records.values())}")
    for entity, count in sorted(result.records.items()):
        click.echo(f"  {entity}: {count}")
    click.echo("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items())))
    click.echo(
        "console: start `lantern serve` (or `make serve`), open http://127.0.0.1:8000/console/ "
        "and sign in with an account below (coordinator: triage; investigator: look up "
        f"{result.hub}; admin: users and devices)"
    )
    click.echo(
        'API: POST /api/v1/auth/token {"username": …, "password": …, "device_id": <a new uuid>}'
    )
    for user in result.users:
        click.echo(f"  {user.role:<12} {user.username:<32} password: {user.password}")


if __name__ == "__main__":  # pragma: no cover
    main()
