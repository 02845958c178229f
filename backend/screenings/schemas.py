"""Request bodies for screenings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

__all__ = ["AssessRequest"]


class AssessRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Answers to preview the triage of; nothing is stored.

    ``answers`` maps item ids to ``{"value": …}`` or ``{"skipped":
    "prefer_not_to_say" | "dont_know" | "not_asked"}``; an absent item was not
    asked. ``as_of`` is the screening date, needed when a date of birth was given.
    """

    instrument_key: Annotated[
        str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    ]
    instrument_version: Annotated[int, msgspec.Meta(ge=1, le=10_000)]
    answers: dict[str, dict[str, Any]]
    as_of: dt.date | None = None
