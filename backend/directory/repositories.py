"""Every query of the directory."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ServiceProvider

__all__ = ["ProviderRepository"]


class ProviderRepository:
    """Service providers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, provider: ServiceProvider) -> None:
        """Stage a new provider."""
        self.session.add(provider)

    async def get(
        self, provider_id: uuid.UUID, *, for_update: bool = False
    ) -> ServiceProvider | None:
        """One provider (locked until commit with ``for_update``)."""
        query = select(ServiceProvider).where(ServiceProvider.id == provider_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def search(
        self,
        *,
        country: str | None,
        kind: str | None,
        active: bool | None,
        limit: int,
        offset: int,
    ) -> list[ServiceProvider]:
        """Providers matching the filters, by country, kind and name."""
        query = select(ServiceProvider)
        if country is not None:
            query = query.where(ServiceProvider.country == country)
        if kind is not None:
            query = query.where(ServiceProvider.kind == kind)
        if active is not None:
            query = query.where(ServiceProvider.active.is_(active))
        query = query.order_by(
            ServiceProvider.country, ServiceProvider.kind, ServiceProvider.name, ServiceProvider.id
        )
        return list((await self.session.execute(query.limit(limit).offset(offset))).scalars())
