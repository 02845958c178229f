"""Password policy after NIST SP 800-63B (rev. 4) for passwords used alone.

- at least 15 characters (code points after NFKC normalisation), at most 256;
- no composition rules (no "one digit, one symbol");
- refuse passwords from a list of common ones, context words (the username,
  the service name), and repetitive or sequential strings.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import cache
from importlib import resources

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "normalise_password", "password_problems"]

MIN_LENGTH = 15
MAX_LENGTH = 256
_CONTEXT_WORDS = ("lantern",)
_EDGE_NOISE = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("backend.users").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def normalise_password(password: str) -> str:
    """NFKC, as SP 800-63B asks, so that the same password typed on two keyboards matches."""
    return unicodedata.normalize("NFKC", password)


def _is_repetition(value: str) -> bool:
    """``aaaa…``, ``abab…``, ``abcabc…``: a unit of up to half the length, repeated."""
    n = len(value)
    return any(
        n % size == 0 and value == value[:size] * (n // size) for size in range(1, n // 2 + 1)
    )


def _is_sequence(value: str) -> bool:
    """Every character one above (or below) the one before: ``abcdef…``, ``98765…``."""
    if len(value) < 2:
        return False
    if value.isdigit():  # 7890123… wraps around
        steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(value)}
        return steps in ({1}, {9})
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(value)}
    return steps in ({1}, {-1})


def _core(value: str) -> str:
    """The word at the heart of ``Password123!``-style strings."""
    return _EDGE_NOISE.sub("", value)


def password_problems(password: str, *, username: str | None = None) -> list[str]:
    """Every reason ``password`` is refused; empty when it is acceptable.

    Args:
        password: The candidate, as typed.
        username: The account's username, a context word the password must not contain.

    Returns:
        Plain-English reasons, suitable for a problem's field errors.
    """
    normalised = normalise_password(password)
    lowered = normalised.casefold()
    problems: list[str] = []
    if len(normalised) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters long")
    if len(normalised) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters long")
    common = _common_passwords()
    core = _core(lowered)
    if lowered in common or core in common or (core and _is_repetition_of_common(core, common)):
        problems.append("is a commonly used password")
    elif _is_repetition(lowered) or _is_sequence(lowered) or len(set(lowered)) < 4:
        problems.append("is too repetitive or sequential")
    words = [*_CONTEXT_WORDS]
    if username:
        words.append(username.casefold())
    if any(word and len(word) >= 3 and word in lowered for word in words):
        problems.append("must not contain the username or the service name")
    return problems


def _is_repetition_of_common(core: str, common: frozenset[str]) -> bool:
    n = len(core)
    for size in range(4, n // 2 + 1):
        if n % size == 0 and core == core[:size] * (n // size) and core[:size] in common:
            return True
    return False
