"""Keyed Bloom-filter encodings of a person (CLK-style), and their comparison.

What is encoded, and how:

- **Name.** Each token of ``normalise_name`` is padded (``_thida_``) and cut into
  character bigrams; the filter is the union over tokens, so it does not
  depend on the order of the name's parts (``Chan Thida`` = ``Thida Chan``).
  Each bigram is hashed with HMAC-SHA-256 under the person-matching key; the
  32-byte digest gives ``NAME_HASHES`` independent 16-bit values, each taken
  modulo ``NAME_BITS`` as one bit position. That is "random hashing" rather
  than Schnell's double hashing (positions ``h1 + i·h2``): it costs the same
  one HMAC per bigram, and it removes the linear structure that the published
  pattern-mining attack on double-hashed CLKs exploits (Niedermeyer et al.,
  2014).
- **Birth year, nationality, sex.** Each is a separate 8-byte keyed token
  (HMAC-SHA-256, truncated), never a filter bit, so that blocking on year ± 1
  needs no decryption and scoring can weigh the fields apart from the name.
  The year also carries the tokens of year - 1 and year + 1 (``birth_year_window``).

Why keyed: names, years and nationalities are guessable. An unkeyed encoding
can be reversed by encoding every likely name; under the server-side
``person-match`` key (HKDF from the master secret) the encodings say nothing
to whoever lacks the key, and encodings under different keys do not match.

Why ``NAME_BITS = 1024`` and ``NAME_HASHES = 16``: a typical name here has 2-4
short tokens, 12-25 padded bigrams; at 16 positions per bigram about 200-400
insertions set roughly 20-30% of 1,024 bits. Below half full, two different
bigrams rarely share positions, so the Dice coefficient of two filters stays
close to the Dice coefficient of the two bigram sets (what we want to
measure); a power of two makes each 16-bit value exactly uniform modulo
``NAME_BITS``; and 16 positions are what one SHA-256 digest gives.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from backend.matching.normalise import normalise_name

__all__ = [
    "KEY_BYTES",
    "NAME_BITS",
    "NAME_HASHES",
    "EncodedPerson",
    "Sex",
    "dice",
    "encode_person",
    "name_bigrams",
]

KEY_BYTES = 32
NAME_BITS = 1024
NAME_HASHES = 16
_TOKEN_BYTES = 8

#: Sex as recorded at screening; ``None`` when not recorded.
Sex = Literal["female", "male", "other"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EncodedPerson:
    """What matching keeps of one screened person: no name, no year, only keyed encodings.

    Attributes:
        record_id: The caller's id for the record (a case or screening id).
        name_filter: The name's Bloom filter, ``NAME_BITS`` bits as an int.
        birth_year: Keyed token of the birth year, or None when unknown.
        birth_year_window: Tokens of the years year - 1, year and year + 1.
        nationality: Keyed token of the nationality, or None when unknown.
        sex: Keyed token of the recorded sex, or None when unknown.
    """

    record_id: str
    name_filter: int
    birth_year: bytes | None
    birth_year_window: frozenset[bytes]
    nationality: bytes | None
    sex: bytes | None

    def name_filter_bytes(self) -> bytes:
        """The name filter as ``NAME_BITS // 8`` big-endian bytes, for storage."""
        return self.name_filter.to_bytes(NAME_BITS // 8, "big")


def _mac(key: bytes, field: bytes, value: bytes) -> bytes:
    # Field label length-prefixed, so no value of one field can pose as another's.
    return hmac.new(key, len(field).to_bytes(1, "big") + field + value, hashlib.sha256).digest()


def name_bigrams(tokens: list[str]) -> frozenset[str]:
    """The padded character bigrams of name tokens (a set: order and repeats do not count).

    Args:
        tokens: Tokens as ``normalise_name`` returns them.
    """
    out: set[str] = set()
    for token in tokens:
        padded = f"_{token}_"
        out.update(padded[i : i + 2] for i in range(len(padded) - 1))
    return frozenset(out)


def _name_filter(key: bytes, tokens: list[str]) -> int:
    bits = 0
    for bigram in name_bigrams(tokens):
        digest = _mac(key, b"name", bigram.encode())
        for i in range(NAME_HASHES):
            bits |= 1 << (int.from_bytes(digest[2 * i : 2 * i + 2], "big") % NAME_BITS)
    return bits


def _token(key: bytes, field: bytes, value: str) -> bytes:
    return _mac(key, field, value.encode())[:_TOKEN_BYTES]


def encode_person(
    *,
    key: bytes,
    record_id: str,
    name: str,
    birth_year: int | None = None,
    nationality: str | None = None,
    sex: Sex | None = None,
) -> EncodedPerson:
    """Encode one person for matching.

    Args:
        key: The 32-byte person-matching key (``KeyRing.derive("person-match")``);
            store its key id beside the encodings, as every keyed value is.
        record_id: The caller's id for the record.
        name: The full name as written, in any script.
        birth_year: The year of birth, when known (an estimate is fine).
        nationality: ISO 3166-1 alpha-2 code (case-insensitive), when known.
        sex: As recorded, when recorded.

    Raises:
        ValueError: When ``key`` is not 32 bytes.
    """
    if len(key) != KEY_BYTES:
        raise ValueError(f"the matching key must be {KEY_BYTES} bytes")
    window: frozenset[bytes] = frozenset()
    year_token = None
    if birth_year is not None:
        year_token = _token(key, b"birth-year", str(birth_year))
        window = frozenset(_token(key, b"birth-year", str(birth_year + d)) for d in (-1, 0, 1))
    return EncodedPerson(
        record_id=record_id,
        name_filter=_name_filter(key, normalise_name(name)),
        birth_year=year_token,
        birth_year_window=window,
        nationality=_token(key, b"nationality", nationality.upper()) if nationality else None,
        sex=_token(key, b"sex", sex) if sex else None,
    )


def dice(a: int, b: int) -> float:
    """The Dice coefficient of two bit sets: 2·|a ∧ b| / (|a| + |b|), in [0, 1].

    Two empty filters score 0.0: nothing known is no evidence of sameness.
    """
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0
