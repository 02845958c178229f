"""The dependencies every handler may ask for, by name and type."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.runtime import Runtime

__all__ = ["CurrentPrincipal", "DbSession", "RuntimeDep"]

#: The request's session, inside its one transaction (``db_session``).
DbSession = NamedDependency[AsyncSession]
#: Settings, keys, database and hasher of this worker (``runtime``).
RuntimeDep = NamedDependency[Runtime]
#: The authenticated caller (``principal``).
CurrentPrincipal = NamedDependency[Principal]
