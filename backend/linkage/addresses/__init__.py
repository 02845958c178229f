"""Wallet addresses, transaction ids, amounts, dates and partial addresses, validated.

Pure: the standard library, ``base58_bech32`` (base58, bech32, cashaddr) and
``pycryptodome`` (Keccak) only, no web or database import (an import-linter
contract holds it to that). Everything here turns what a victim disclosed into
one canonical value, or into an ``InvalidValue`` with a stable ``code`` and a
``reason``; nothing here guesses.
"""

from __future__ import annotations

from backend.linkage.addresses._model import CHAINS, Candidate, Chain, ErrorCode, InvalidValue, Kind
from backend.linkage.addresses._refusal import AddressError
from backend.linkage.addresses.normalize import MAX_ADDRESS_LENGTH, normalize

__all__ = [
    "CHAINS",
    "MAX_ADDRESS_LENGTH",
    "AddressError",
    "Candidate",
    "Chain",
    "ErrorCode",
    "InvalidValue",
    "Kind",
    "normalize",
]
