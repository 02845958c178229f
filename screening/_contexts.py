"""Stable translation contexts (msgctxt) for every text of an instrument.

The same English text can mean different things in two places, so each text
is translated under its own context, e.g. ``scam_compound.item.safe_now.text``.
The version is deliberately not part of the context: when a new version keeps
an item's id and English text, its translation (and review) carries over; a
changed text is a new msgid and is translated afresh.
"""

from __future__ import annotations


def context(key: str, *parts: str) -> str:
    """Join an instrument key and the parts naming one of its texts."""
    return ".".join((key, *parts))
