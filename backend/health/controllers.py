"""``/health/live``, ``/health/ready`` and ``/metrics``."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from sqlalchemy import text

from backend.access.guards import allow
from backend.access.roles import Role
from backend.crypto.keys import KeyFileError, load_key_file
from backend.db.migrate import current_revisions, head_revisions
from backend.db.session import READS
from backend.deps import DbSession, RuntimeDep
from backend.errors import NotReady
from backend.health.repositories import Backlog, BacklogRepository
from backend.i18n import N_
from backend.metrics import CONTENT_TYPE, exposition, set_backlog
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["HealthController", "MetricsController"]


class Health(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Health of this worker: what it depends on, and what waits (counts only)."""

    status: str
    database: str | None = None
    migrations: str | None = None
    key_file: str | None = None
    backlog: Backlog | None = None


class HealthController(Controller):
    """Public, unauthenticated, and cheap."""

    path = "/health"
    tags = ["health"]

    @get("/live", exclude_from_auth=True, security=[], summary="The process is up")
    async def live(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        exclude_from_auth=True,
        security=[],
        summary="The database is reachable and migrated, the key file readable; the backlog",
        description=(
            "`database`, `migrations` (the current revision), `key_file` (still present, "
            "private and well-formed) and `backlog`: counts of sync conflicts and "
            "quarantined mutations by status, and of person encodings the matching loop has "
            "not compared yet. Counts only, never an identifier."
        ),
        responses=problem_responses(503),
    )
    async def ready(self, runtime: RuntimeDep) -> Health:
        try:
            async with runtime.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            current = await current_revisions(runtime.db.engine)
        except Exception:
            raise NotReady(N_("The database is not reachable.")) from None
        expected = head_revisions(runtime.settings.effective_database_url)
        if current != expected:
            raise NotReady(N_("The database schema is not at the current migration."))
        try:
            load_key_file(runtime.settings.effective_key_file)
        except KeyFileError:
            raise NotReady() from None
        async with runtime.db.read_session() as session:
            backlog = await BacklogRepository(session).backlog()
        return Health(
            status="ok",
            database="ok",
            migrations=",".join(sorted(current)),
            key_file="ok",
            backlog=backlog,
        )


class MetricsController(Controller):
    """Prometheus metrics, for admins only (the scraper signs in as an admin)."""

    path = "/metrics"
    tags = ["health"]
    guards = [allow(Role.ADMIN)]

    @get(
        "/",
        opt=READS,
        summary="Metrics in the Prometheus text format (admins)",
        description=(
            "Request latency by route template and status, sync outcomes, conflict and "
            "quarantine counts, the matching backlog, audit appends and sign-in outcomes. "
            "No label carries an identifier."
        ),
        media_type="text/plain",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def metrics(self, db_session: DbSession) -> Response[bytes]:
        set_backlog(await BacklogRepository(db_session).backlog())
        return Response(exposition(), media_type=CONTENT_TYPE)
