"""Babel extraction method for instrument definition files.

The project runs it through ``lantern i18n extract`` (``make locales-extract``),
which writes ``locales/lantern.pot``. From a Babel mapping file it is::

    [extractors]
    instrument = screening.extract:extract_instrument

    [instrument: screening/instruments/**.toml]

Every text is extracted as ``pgettext(context, msgid)`` with a comment for
translators. Babel itself is not imported: the protocol is only a function
signature.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from screening.definition import parse_instrument
from screening.i18n import iter_messages

__all__ = ["extract_instrument"]


def extract_instrument(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Extract the texts of one instrument definition file (Babel protocol).

    Args:
        fileobj: The TOML file, opened in binary mode.
        keywords: Babel's keyword specs (``pgettext`` must be among them,
            as it is by default).
        comment_tags: Ignored: every message carries its translator comment.
        options: Ignored.

    Yields:
        ``(lineno, "pgettext", (context, msgid), [comment])`` per text.

    Raises:
        InstrumentDefinitionError: The file is not a valid definition.
    """
    data = fileobj.read()
    source = str(getattr(fileobj, "name", "<instrument>"))
    instrument = parse_instrument(data, source=source)
    lines = data.decode("utf-8").splitlines()
    for message in iter_messages(instrument):
        yield (
            _line_of(lines, message.msgid),
            "pgettext",
            (message.context, message.msgid),
            [message.comment],
        )


def _line_of(lines: list[str], text: str) -> int:
    """The first line where the text (or its start, for wrapped strings) appears."""
    probe = text[:40]
    for number, line in enumerate(lines, start=1):
        if probe in line:
            return number
    return 1
