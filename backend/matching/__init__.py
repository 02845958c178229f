"""Privacy-preserving duplicate detection: names normalised, keyed Bloom filters and tokens, proposals.

Pure: the standard library, anyascii, PyThaiNLP, myanmartools and paraencoder
only; no web or database import (an import-linter contract holds it to that).
It takes the 32-byte ``person-match`` key as bytes and never sees the key ring.
It only ever *proposes* pairs; merging is a coordinator's decision. See
``docs/matching.md``.
"""

from __future__ import annotations

from backend.matching.encoding import (
    KEY_BYTES,
    NAME_BITS,
    NAME_HASHES,
    EncodedPerson,
    Sex,
    dice,
    encode_person,
    name_bigrams,
)
from backend.matching.normalise import HONORIFICS, TRAILING_TITLES, is_burmese, normalise_name
from backend.matching.pairs import (
    FIELD_WEIGHTS,
    Agreement,
    Proposal,
    candidate_pairs,
    name_floor,
    reasons,
    score_pair,
)

__all__ = [
    "FIELD_WEIGHTS",
    "HONORIFICS",
    "KEY_BYTES",
    "NAME_BITS",
    "NAME_HASHES",
    "TRAILING_TITLES",
    "Agreement",
    "EncodedPerson",
    "Proposal",
    "Sex",
    "candidate_pairs",
    "dice",
    "encode_person",
    "is_burmese",
    "name_bigrams",
    "name_floor",
    "normalise_name",
    "reasons",
    "score_pair",
]
