"""Response bodies for instruments."""

from __future__ import annotations

import msgspec

__all__ = ["InstrumentSummary", "LocaleInfo"]


class LocaleInfo(msgspec.Struct, kw_only=True):
    """A shipped language and whether a qualified translator reviewed it.

    ``code`` is its BCP 47 tag (``zh-Hans``), as sent in ``Content-Language``
    and accepted as ``locale``.

    ``status``: ``source`` (English), ``reviewed``, ``partially_reviewed`` or
    ``unreviewed``; the app shows anything but ``source``/``reviewed`` as unreviewed.
    """

    code: str
    name: str
    english_name: str
    status: str
    unreviewed_messages: int
    untranslated_messages: int


class InstrumentSummary(msgspec.Struct, kw_only=True):
    """An instrument: its versions (all loadable forever) and the languages it comes in."""

    key: str
    title: str
    versions: list[int]
    latest_version: int
    locales: list[LocaleInfo]
