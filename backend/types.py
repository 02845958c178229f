"""Constrained types shared by request schemas."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["CONTROL_FREE", "Name", "PlainText"]

#: No C0 control characters (NUL cannot be stored by PostgreSQL at all), no DEL.
CONTROL_FREE = r"^[^\x00-\x1f\x7f]*$"

#: A single-line text: a name, a site, a username as typed.
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=CONTROL_FREE)]

#: Multi-line text: tabs and line breaks allowed, other control characters not.
PlainText = Annotated[
    str, msgspec.Meta(max_length=20_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
