"""The transaction boundary: one transaction per request, committed by nobody else.

Services never commit. A request's work commits when its handler returns and
rolls back when it raises. Work that must outlive a rollback (the audit entry
of a denial, the counter of a failed sign-in) travels on the error as side
effects and runs afterwards in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.engine import Database
from backend.errors import LanternError, SideEffect

__all__ = ["provide_db_session", "run_side_effects"]


async def run_side_effects(db: Database, effects: Sequence[SideEffect]) -> None:
    """Run ``effects`` in one transaction of their own, and commit it."""
    async with db.session() as session, session.begin():
        for effect in effects:
            await effect(session)


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """Litestar dependency: the request's session inside its one transaction."""
    db: Database = state.runtime.db
    async with db.session() as session:
        try:
            async with session.begin():
                yield session
        except LanternError as exc:
            if exc.side_effects:
                await run_side_effects(db, exc.side_effects)
            raise
