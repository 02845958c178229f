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
  A Burmese name (:func:`~backend.matching.normalise.is_burmese`) is one
  token: its order is part of it (Kyaw Aung is not Aung Kyaw), and it is
  written with or without spaces between syllables.
- **Birth year, nationality, sex.** Each is a separate 8-byte keyed token
  (HMAC-SHA-256, truncated), never a filter bit, so that blocking needs no
  decryption and scoring can weigh the fields apart from the name. A Thai
  Buddhist-Era year (2543) is taken as the Common-Era one (2000). The year
  also carries the tokens of its blocking window (``birth_year_window``):
  years - 2 to + 2 and the year with its last two digits swapped (1998 for
  1989), since ages are estimated and digits slip.
- **Day and month of birth.** One token of the month and day, and, when both
  could be a month, one of them read the other way round (``birth_day_swapped``):
  a person usually knows the day, and a swapped day and month costs little.
- **Documents and contacts.** Each number is reduced to its letters and
  digits (a phone to its last 8 digits, so that country and trunk prefixes do
  not count) and keyed: one exact token, and one token per single-character
  deletion (``*_near``), so that one slipped, dropped or swapped character
  still shares a token and nothing about the number is kept in clear.

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

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from backend.matching.normalise import is_burmese, normalise_name

__all__ = [
    "KEY_BYTES",
    "NAME_BITS",
    "NAME_HASHES",
    "EncodedPerson",
    "Sex",
    "common_era_year",
    "dice",
    "encode_person",
    "identifier_digits",
    "name_bigrams",
]

KEY_BYTES = 32
NAME_BITS = 1024
NAME_HASHES = 16
_TOKEN_BYTES = 8
#: Years apart still blocked together (estimated ages; ``docs/matching.md``).
YEAR_WINDOW = 2
#: The Buddhist Era runs 543 years ahead; no one screened was born before CE 1857.
_BUDDHIST_ERA = 543
_PHONE_DIGITS = 8

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
        birth_year_block: Tokens of the blocking window: year - 2 to year + 2,
            and the year with its last two digits swapped.
        nationality: Keyed token of the nationality, or None when unknown.
        sex: Keyed token of the recorded sex, or None when unknown.
        birth_day: Keyed token of the month and day of birth, or None.
        birth_day_swapped: The same with day and month read the other way
            round, when both are 12 or less and differ; else None.
        documents: Exact tokens of the document numbers.
        documents_near: Their exact and one-deletion tokens.
        contacts: Exact tokens of the contacts (phones, handles, e-mail).
        contacts_near: Their exact and one-deletion tokens.
    """

    record_id: str
    name_filter: int
    birth_year: bytes | None
    birth_year_window: frozenset[bytes]
    nationality: bytes | None
    sex: bytes | None
    birth_year_block: frozenset[bytes] = frozenset()
    birth_day: bytes | None = None
    birth_day_swapped: bytes | None = None
    documents: frozenset[bytes] = frozenset()
    documents_near: frozenset[bytes] = frozenset()
    contacts: frozenset[bytes] = frozenset()
    contacts_near: frozenset[bytes] = frozenset()

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


def common_era_year(year: int) -> int:
    """A birth year in the Common Era: a Thai Buddhist-Era year (2400 and later) less 543."""
    return year - _BUDDHIST_ERA if year >= 2400 else year


def _window(year: int) -> set[int]:
    years = set(range(year - YEAR_WINDOW, year + YEAR_WINDOW + 1))
    swapped = year // 100 * 100 + year % 10 * 10 + year // 10 % 10
    years.add(swapped)
    return years


def identifier_digits(kind: Literal["document", "contact"], value: str) -> str:
    """What is compared of a document number or contact: letters and digits, upper case.

    A phone number (only digits, ``+``, spaces, dashes, brackets) keeps its
    last 8 digits, so that ``+95 9 4501 2345`` and ``09 4501 2345`` agree.
    """
    text = "".join(c for c in value.upper() if c.isalnum())
    if kind == "contact" and text.isdigit() and len(text) > _PHONE_DIGITS:
        text = text[-_PHONE_DIGITS:]
    return text


def _identifiers(
    key: bytes, kind: Literal["document", "contact"], values: Iterable[str]
) -> tuple[frozenset[bytes], frozenset[bytes]]:
    exact: set[bytes] = set()
    near: set[bytes] = set()
    field = kind.encode()
    for value in values:
        text = identifier_digits(kind, value)
        if len(text) < 4:  # too short to tell anyone apart
            continue
        exact.add(_token(key, field, text))
        near.add(_token(key, field, text))
        near.update(_token(key, field, text[:i] + text[i + 1 :]) for i in range(len(text)))
    return frozenset(exact), frozenset(near)


def encode_person(
    *,
    key: bytes,
    record_id: str,
    name: str,
    birth_year: int | None = None,
    nationality: str | None = None,
    sex: Sex | None = None,
    birth_date: dt.date | None = None,
    documents: Iterable[str] = (),
    contacts: Iterable[str] = (),
) -> EncodedPerson:
    """Encode one person for matching.

    Args:
        key: The 32-byte person-matching key (``KeyRing.derive("person-match")``);
            store its key id beside the encodings, as every keyed value is.
        record_id: The caller's id for the record.
        name: The full name as written, in any script.
        birth_year: The year of birth, when known (an estimate is fine); a
            Buddhist-Era year is converted. Ignored when ``birth_date`` is given.
        nationality: ISO 3166-1 alpha-2 code (case-insensitive), when known.
        sex: As recorded, when recorded.
        birth_date: The full date of birth, when known (its year may be Buddhist-Era).
        documents: Document numbers (passport, ID, permit), as written.
        contacts: Phone numbers, messenger handles, e-mail addresses, as written.

    Raises:
        ValueError: When ``key`` is not 32 bytes.
    """
    if len(key) != KEY_BYTES:
        raise ValueError(f"the matching key must be {KEY_BYTES} bytes")
    window: frozenset[bytes] = frozenset()
    block: frozenset[bytes] = frozenset()
    year_token = day = swapped = None
    if birth_date is not None:
        birth_year = birth_date.year
        day = _token(key, b"birth-day", f"{birth_date.month:02d}-{birth_date.day:02d}")
        if birth_date.day <= 12 and birth_date.day != birth_date.month:
            swapped = _token(key, b"birth-day", f"{birth_date.day:02d}-{birth_date.month:02d}")
    if birth_year is not None:
        birth_year = common_era_year(birth_year)
        year_token = _token(key, b"birth-year", str(birth_year))
        window = frozenset(_token(key, b"birth-year", str(birth_year + d)) for d in (-1, 0, 1))
        block = frozenset(_token(key, b"birth-year", str(y)) for y in _window(birth_year))
    burmese = is_burmese(name, nationality)
    tokens = normalise_name(name, burmese=burmese)
    docs, docs_near = _identifiers(key, "document", documents)
    reach, reach_near = _identifiers(key, "contact", contacts)
    return EncodedPerson(
        record_id=record_id,
        name_filter=_name_filter(key, ["".join(tokens)] if burmese and tokens else tokens),
        birth_year=year_token,
        birth_year_window=window,
        birth_year_block=block,
        nationality=_token(key, b"nationality", nationality.upper()) if nationality else None,
        sex=_token(key, b"sex", sex) if sex else None,
        birth_day=day,
        birth_day_swapped=swapped,
        documents=docs,
        documents_near=docs_near,
        contacts=reach,
        contacts_near=reach_near,
    )


def dice(a: int, b: int) -> float:
    """The Dice coefficient of two bit sets: 2·|a ∧ b| / (|a| + |b|), in [0, 1].

    Two empty filters score 0.0: nothing known is no evidence of sameness.
    """
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0
