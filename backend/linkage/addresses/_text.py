"""Cleaning what a person pasted or typed, before any format is tried."""

from __future__ import annotations

import unicodedata

from backend.linkage.addresses._model import InvalidValue

__all__ = ["INVISIBLE", "clean", "require_ascii"]

#: Characters that copying from chat apps, PDFs and web pages leaves around an
#: address without anyone seeing them: zero-width space, non-joiner and joiner,
#: word joiner, byte-order mark, soft hyphen, and the bidirectional marks and
#: isolates right-to-left scripts insert.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def clean(text: str) -> str:
    """Strip whitespace and invisible characters from both ends, and only there.

    Inside a value they are refused by ``require_ascii``: a space in the middle
    may join two addresses, and dropping it silently would make one up.
    """
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in INVISIBLE):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in INVISIBLE):
        end -= 1
    return text[start:end]


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def require_ascii(text: str, *, what: str) -> None:
    """Refuse any character no address or hash spelling uses.

    Raises:
        InvalidValue: ``invalid_character``, naming the first such character
            and its position (1-based, as people count).
    """
    for position, char in enumerate(text, start=1):
        if not ("!" <= char <= "~"):
            raise InvalidValue(
                "invalid_character",
                f"character {position} of the {what} is {_describe(char)}, "
                f"which no {what} contains",
            )
