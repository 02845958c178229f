"""Gettext catalogues under ``locales/``: extraction, lookup, negotiation.

English is the source language. One domain, ``lantern``, holds the texts of
the screening instruments and of the API's messages. A translation is
*reviewed* once a qualified translator has approved it: in the ``.po`` file
that is a message without the ``fuzzy`` flag (the flag translators' tools
clear on approval). Unreviewed translations are still served, marked as such.

Each process reads the ``.po`` files themselves, once (about 0.05 s for every
language, see ``bench/RESULTS.md``): nothing is compiled and nothing is
written at start-up, so read-only installs and workers starting together need
no care.

Languages are named by their BCP 47 tag (``zh-Hans``) everywhere the API shows
them; only the gettext directory keeps the underscore (``locales/zh_Hans``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

__all__ = [
    "DOMAIN",
    "LOCALES_DIR",
    "SOURCE_LANGUAGE",
    "CatalogReport",
    "Catalogs",
    "Language",
    "Translator",
    "available_languages",
    "check_catalogs",
    "extract_template",
    "get_catalogs",
    "language_tag",
    "placeholders",
    "translator_for",
    "update_catalogs",
]

DOMAIN = "lantern"
SOURCE_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
_ROOT = LOCALES_DIR.parent
_CONTEXT_SEP = "\x04"  # how gettext joins msgctxt and msgid

_METHOD_MAP = [
    ("backend/**.py", "python"),
    ("screening/instruments/**.toml", "screening.extract:extract_instrument"),
    ("backend/console/templates/**.html", "jinja2.ext:babel_extract"),
]
_KEYWORDS = {"_": None, "N_": None, "gettext": None, "pgettext": ((1, "c"), 2)}
# ``{name}``, ``%(name)s`` and code in backticks must survive translation unchanged.
_PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|\{[A-Za-z_][A-Za-z0-9_]*\}|`[^`]+`")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate yet"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def placeholders(text: str) -> list[str]:
    """The ``{name}``, ``%(name)s`` and backtick-quoted spans of a message, sorted."""
    return sorted(_PLACEHOLDER.findall(text))


def _po_path(language: str, root: Path) -> Path:
    return root / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract_template(root: Path = LOCALES_DIR) -> Path:
    """Extract every English source string into ``locales/lantern.pot``."""
    template = Catalog(project="Lantern", version="1", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(_ROOT), method_map=_METHOD_MAP, keywords=_KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    out = root / f"{DOMAIN}.pot"
    with out.open("wb") as fh:
        write_po(fh, template, width=100, sort_by_file=True, include_lineno=False)
    return out


def update_catalogs(root: Path = LOCALES_DIR) -> list[str]:
    """Merge the template into every language's ``.po`` (new strings arrive untranslated)."""
    with (root / f"{DOMAIN}.pot").open("rb") as fh:
        template = read_po(fh)
    updated = []
    for language in available_languages(root):
        path = _po_path(language, root)
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        # No fuzzy matching: a guess from a similar old string is no translation.
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, ignore_obsolete=True, include_lineno=False)
        updated.append(language)
    return updated


def available_languages(root: Path = LOCALES_DIR) -> list[str]:
    """Languages with a ``.po`` under ``root``, by directory name (``zh_Hans``), sorted."""
    return sorted(p.parent.parent.name for p in root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def language_tag(directory: str) -> str:
    """The BCP 47 tag of a gettext locale directory: ``zh_Hans`` is ``zh-Hans``."""
    return directory.replace("_", "-")


def _key(context: str | None, msgid: str) -> str:
    return f"{context}{_CONTEXT_SEP}{msgid}" if context else msgid


class _Entry(NamedTuple):
    context: str | None
    msgid: str
    text: str  # empty when untranslated
    fuzzy: bool


def _read(language: str, root: Path) -> Iterator[_Entry]:
    """Every message of one language's ``.po`` (the header and obsolete ones left out)."""
    with _po_path(language, root).open("rb") as fh:
        catalog = read_po(fh, locale=language)
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        raw = message.string
        text = raw if isinstance(raw, str) else (raw[0] if raw else "")
        yield _Entry(message.context, msgid, text or "", message.fuzzy)


@dataclass(frozen=True)
class Language:
    """A shipped language and how much of it a qualified translator has reviewed."""

    code: str  # BCP 47 tag
    name: str
    english_name: str
    messages: int
    unreviewed: int
    untranslated: int

    @property
    def status(self) -> str:
        """``source``, ``reviewed``, ``partially_reviewed`` or ``unreviewed``."""
        if self.code == SOURCE_LANGUAGE:
            return "source"
        if self.unreviewed == 0 and self.untranslated == 0:
            return "reviewed"
        if self.unreviewed + self.untranslated >= self.messages:
            return "unreviewed"
        return "partially_reviewed"


def _display(code: str) -> tuple[str, str]:
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return code, code
    return (locale.get_display_name(locale) or code), (locale.get_display_name("en") or code)


class Translator:
    """Translates English source strings into one language; knows what was reviewed."""

    def __init__(self, language: str, messages: dict[str, str], unreviewed: frozenset[str]) -> None:
        self.language = language  # BCP 47 tag
        self._messages = messages
        self._unreviewed = unreviewed

    def __call__(self, message: str) -> str:
        """The translation of ``message``, or ``message`` itself."""
        return self._messages.get(message) or message

    def lookup(self, context: str | None, msgid: str) -> tuple[str, bool] | None:
        """``(text, reviewed)`` for a message, or ``None`` when it is not translated.

        For the source language every text is its own reviewed translation.
        """
        if self.language == SOURCE_LANGUAGE:
            return msgid, True
        key = _key(context, msgid)
        text = self._messages.get(key)
        if not text:
            return None
        return text, key not in self._unreviewed


@dataclass
class Catalogs:
    """Every shipped language, keyed by BCP 47 tag, read once per process."""

    translators: dict[str, Translator] = field(default_factory=dict)
    languages: dict[str, Language] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path = LOCALES_DIR) -> Catalogs:
        """Read every language's ``.po`` under ``root``; writes nothing."""
        catalogs = cls()
        template_size = 0
        pot = root / f"{DOMAIN}.pot"
        if pot.exists():
            with pot.open("rb") as fh:
                template_size = sum(1 for m in read_po(fh) if m.id)
        for directory in [SOURCE_LANGUAGE, *available_languages(root)]:
            messages: dict[str, str] = {}
            unreviewed: set[str] = set()
            untranslated = 0
            if directory != SOURCE_LANGUAGE:
                for entry in _read(directory, root):
                    key = _key(entry.context, entry.msgid)
                    if not entry.text:
                        untranslated += 1
                        continue
                    messages[key] = entry.text
                    if entry.fuzzy:
                        unreviewed.add(key)
            tag = language_tag(directory)
            catalogs.translators[tag] = Translator(tag, messages, frozenset(unreviewed))
            name, english = _display(directory)
            catalogs.languages[tag] = Language(
                tag, name, english, template_size, len(unreviewed), untranslated
            )
        return catalogs

    def negotiate(self, accept_language: str | None) -> str:
        """The tag of the best shipped language for an ``Accept-Language`` header (default ``en``)."""
        for tag in _parse_accept_language(accept_language or ""):
            match = self.match(tag)
            if match:
                return match
        return SOURCE_LANGUAGE

    def match(self, tag: str) -> str | None:
        """The shipped language for one tag (``vi-VN``, ``zh-CN``, ``tl``, ``zh_Hans``), if any."""
        wanted = language_tag(tag).lower()
        by_lower = {code.lower(): code for code in self.translators}
        if wanted in by_lower:
            return by_lower[wanted]
        aliases = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "tl": "fil", "in": "id"}
        if wanted in aliases and aliases[wanted] in self.translators:
            return aliases[wanted]
        base = wanted.split("-")[0]
        if base in by_lower:
            return by_lower[base]
        if base in aliases and aliases[base] in self.translators:
            return aliases[base]
        return None

    def translator(self, language: str) -> Translator:
        """The translator of a shipped language tag (English if not shipped)."""
        return self.translators.get(language) or self.translators[SOURCE_LANGUAGE]


def _parse_accept_language(header: str) -> list[str]:
    """Language tags by descending preference (RFC 9110 section 12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        pieces = part.strip().split(";")
        tag = pieces[0].strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


@dataclass
class CatalogReport:
    """What ``check_catalogs`` found, per language."""

    errors: list[str] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)
    unreviewed: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A human-readable summary, one line per finding."""
        out = [f"FAIL {error}" for error in self.errors]
        for language in sorted(set(self.missing) | set(self.unreviewed)):
            out.append(
                f"{'warn' if self.missing.get(language) else 'ok  '} {language}: "
                f"{self.missing.get(language, 0)} instrument texts missing (shown in English, "
                f"marked fallback), {self.unreviewed.get(language, 0)} unreviewed"
            )
        return out


def check_catalogs(registry: Any, root: Path = LOCALES_DIR) -> CatalogReport:
    """Check every shipped ``.po``: it parses, placeholders match, instrument texts are there.

    Args:
        registry: The instrument registry (``screening.InstrumentRegistry``).
        root: The ``locales`` directory.
    """
    from screening import iter_messages

    report = CatalogReport()
    wanted = {
        _key(m.context, m.msgid) for instrument in registry for m in iter_messages(instrument)
    }
    for language in available_languages(root):
        try:
            entries = list(_read(language, root))
        except Exception as exc:
            report.errors.append(
                f"{_po_path(language, root)}: does not parse: {type(exc).__name__}"
            )
            continue
        present = {_key(e.context, e.msgid) for e in entries if e.text}
        unreviewed = sum(1 for e in entries if e.text and e.fuzzy)
        report.errors.extend(
            f"{language}: placeholders differ in {e.context or ''}|{e.msgid[:40]!r}"
            for e in entries
            if e.text and placeholders(e.msgid) != placeholders(e.text)
        )
        report.missing[language] = len(wanted - present)
        report.unreviewed[language] = unreviewed
    return report


@cache
def get_catalogs() -> Catalogs:
    """The process-wide catalogues (loaded on first use)."""
    return Catalogs.load()


def translator_for(accept_language: str | None) -> Translator:
    """The best translator for an ``Accept-Language`` header."""
    catalogs = get_catalogs()
    return catalogs.translator(catalogs.negotiate(accept_language))
