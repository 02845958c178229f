"""Looking up instruments and localising them (no HTTP here)."""

from __future__ import annotations

import hashlib

import msgspec

from backend.errors import FieldError, NotFound, ValidationFailed
from backend.i18n import N_, Catalogs
from backend.instruments.schemas import InstrumentSummary, LocaleInfo
from screening import (
    Instrument,
    InstrumentRegistry,
    LocalizedInstrument,
    UnknownInstrument,
    localize,
)

__all__ = ["InstrumentService", "LocalizedDocument"]


class LocalizedDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A localised instrument, encoded once, with its entity tag."""

    body: bytes
    etag: str
    language: str


class InstrumentService:
    """Instruments from the registry, texts from the catalogues.

    Localised documents are deterministic for (key, version, language) within
    one process, so they are encoded once and cached with a strong ETag.
    """

    def __init__(self, registry: InstrumentRegistry, catalogs: Catalogs) -> None:
        self.registry = registry
        self.catalogs = catalogs
        self._cache: dict[tuple[str, int, str], LocalizedDocument] = {}

    def locales(self) -> list[LocaleInfo]:
        """Every shipped language with its review status."""
        return [
            LocaleInfo(
                code=lang.code,
                name=lang.name,
                english_name=lang.english_name,
                status=lang.status,
                unreviewed_messages=lang.unreviewed,
                untranslated_messages=lang.untranslated,
            )
            for lang in self.catalogs.languages.values()
        ]

    def summaries(self) -> list[InstrumentSummary]:
        """Every instrument with its versions and languages."""
        locales = self.locales()
        out = []
        for key in self.registry.keys():  # noqa: SIM118 - iterating the registry yields instruments
            versions = sorted(self.registry.versions(key))
            latest = self.registry.get(key)
            out.append(
                InstrumentSummary(
                    key=key,
                    title=latest.title,
                    versions=versions,
                    latest_version=versions[-1],
                    locales=locales,
                )
            )
        return out

    def get(self, key: str, version: int | None) -> Instrument:
        """One instrument version (the latest when ``version`` is None).

        Raises:
            NotFound: no such instrument or version.
        """
        try:
            return self.registry.get(key, version)
        except UnknownInstrument:
            raise NotFound(N_("No such instrument or version.")) from None

    def resolve_language(self, locale: str | None, accept_language: str | None) -> str:
        """The language to serve: ``locale`` if given (it must be shipped), else negotiated.

        Raises:
            ValidationFailed: ``locale`` names a language that is not shipped.
        """
        if locale is None:
            return self.catalogs.negotiate(accept_language)
        matched = self.catalogs.match(locale)
        if matched is None:
            shipped = ", ".join(sorted(self.catalogs.translators))
            raise ValidationFailed(
                errors=[
                    FieldError(
                        location="query",
                        field="locale",
                        reason=f"not a shipped language; shipped: {shipped}",
                    )
                ]
            )
        return matched

    def localized(self, instrument: Instrument, language: str) -> LocalizedDocument:
        """The instrument in ``language``, each text with its review status."""
        cache_key = (instrument.key, instrument.version, language)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        translator = self.catalogs.translator(language)
        document: LocalizedInstrument = localize(instrument, translator.lookup, locale=language)
        body = msgspec.json.encode(document)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        result = LocalizedDocument(body=body, etag=etag, language=language)
        self._cache[cache_key] = result
        return result
