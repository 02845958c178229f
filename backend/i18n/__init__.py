"""Localisation: gettext catalogues under ``locales/``, negotiated from Accept-Language."""

from backend.i18n.catalogs import (
    N_,
    Catalogs,
    Language,
    Translator,
    get_catalogs,
    translator_for,
)

__all__ = ["N_", "Catalogs", "Language", "Translator", "get_catalogs", "translator_for"]
