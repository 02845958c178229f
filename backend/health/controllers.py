"""``/health/live`` and ``/health/ready``."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from sqlalchemy import text

from backend.db.migrate import current_revisions, head_revisions
from backend.deps import RuntimeDep
from backend.errors import NotReady
from backend.i18n import N_
from backend.problems import problem_responses

__all__ = ["HealthController"]


class Health(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Health of this worker."""

    status: str
    database: str | None = None
    migrations: str | None = None


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
        summary="The database is reachable and migrated",
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
        return Health(status="ok", database="ok", migrations=",".join(sorted(current)))
