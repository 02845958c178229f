"""How big the property and fuzz runs are: one switch for the whole suite.

``LANTERN_TEST_PROFILE=ci`` (the default: ``make test`` and ``.ci/run``) runs
every test, the ``slow`` ones included, at a size that fits CI.
``LANTERN_TEST_PROFILE=long`` (``make test-long``, which also selects
``-m slow``) runs the long variants at full size.
"""

from __future__ import annotations

import os

__all__ = ["PROFILE", "is_long", "size"]

_PROFILES = ("ci", "long")
PROFILE = os.environ.get("LANTERN_TEST_PROFILE", "ci")
if PROFILE not in _PROFILES:
    raise RuntimeError(f"LANTERN_TEST_PROFILE must be one of {_PROFILES}, not {PROFILE!r}")


def is_long() -> bool:
    """Whether this run is the long one."""
    return PROFILE == "long"


def size(ci: int, long: int) -> int:
    """``ci`` in the CI profile, ``long`` in the long one."""
    return long if is_long() else ci
