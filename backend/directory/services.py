"""The directory: coordinators keep the providers they refer people to, per country and kind."""

from __future__ import annotations

import uuid

import msgspec
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.principal import Principal
from backend.audit.services import AuditEvent, AuditLog
from backend.db.base import utcnow
from backend.db.models import ServiceProvider
from backend.directory.repositories import ProviderRepository
from backend.directory.schemas import Contact, ProviderCreate, ProviderOut, ProviderUpdate
from backend.errors import FieldError, NotFound, ValidationFailed
from backend.i18n import N_
from backend.operations.countries import ISO_3166_ALPHA_2
from backend.runtime import Runtime

__all__ = ["ProviderService", "provider_out"]


def provider_out(provider: ServiceProvider) -> ProviderOut:
    """A provider as the API shows it."""
    return ProviderOut(
        id=provider.id,
        country=provider.country,
        kind=provider.kind,  # type: ignore[arg-type]
        name=provider.name,
        contact=msgspec.json.decode(provider.contact, type=Contact),
        languages=msgspec.json.decode(provider.languages, type=list[str]),
        outside=provider.outside,
        active=provider.active,
        created_at=provider.created_at,
        updated_at=provider.updated_at,
    )


def _country(value: str) -> str:
    country = value.upper()
    if country not in ISO_3166_ALPHA_2:
        raise ValidationFailed(
            errors=[
                FieldError(
                    field="country",
                    reason="not an assigned ISO 3166-1 alpha-2 country code",
                    location="body",
                )
            ]
        )
    return country


class ProviderService:
    """Create, change and find providers; every write is audited."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.providers = ProviderRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    def _audit(self, principal: Principal, action: str, provider: ServiceProvider) -> None:
        self.audit.record(
            AuditEvent(
                action=action,
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="service_provider",
                object_id=str(provider.id),
                detail={"country": provider.country, "kind": provider.kind},
            )
        )

    async def create(self, principal: Principal, data: ProviderCreate) -> ProviderOut:
        """Add a provider.

        Raises:
            ValidationFailed: unknown country code.
        """
        now = utcnow()
        provider = ServiceProvider(
            id=uuid.uuid4(),
            country=_country(data.country),
            kind=data.kind,
            name=data.name.strip(),
            contact=msgspec.json.encode(data.contact).decode(),
            languages=msgspec.json.encode(data.languages).decode(),
            outside=data.outside,
            active=data.active,
            created_by=principal.user_id,
            created_at=now,
            updated_at=now,
        )
        self.providers.add(provider)
        self._audit(principal, "service.create", provider)
        return provider_out(provider)

    async def get(self, provider_id: uuid.UUID) -> ServiceProvider:
        """One provider.

        Raises:
            NotFound: no such provider.
        """
        provider = await self.providers.get(provider_id)
        if provider is None:
            raise NotFound(N_("No such service provider."))
        return provider

    async def update(
        self, principal: Principal, provider_id: uuid.UUID, data: ProviderUpdate
    ) -> ProviderOut:
        """Change a provider's fields (deactivate it with ``active: false``).

        Raises:
            NotFound: no such provider.
            ValidationFailed: unknown country code.
        """
        provider = await self.providers.get(provider_id, for_update=True)
        if provider is None:
            raise NotFound(N_("No such service provider."))
        if data.country is not UNSET:
            provider.country = _country(data.country)
        if data.kind is not UNSET:
            provider.kind = data.kind
        if data.name is not UNSET:
            provider.name = data.name.strip()
        if data.contact is not UNSET:
            provider.contact = msgspec.json.encode(data.contact).decode()
        if data.languages is not UNSET:
            provider.languages = msgspec.json.encode(data.languages).decode()
        if data.outside is not UNSET:
            provider.outside = data.outside
        if data.active is not UNSET:
            provider.active = data.active
        provider.updated_at = utcnow()
        self._audit(principal, "service.update", provider)
        return provider_out(provider)

    async def search(
        self,
        *,
        country: str | None,
        kind: str | None,
        active: bool | None,
        limit: int,
        offset: int,
    ) -> list[ProviderOut]:
        """Providers by country and kind."""
        found = await self.providers.search(
            country=country.upper() if country else None,
            kind=kind,
            active=active,
            limit=limit,
            offset=offset,
        )
        return [provider_out(p) for p in found]
