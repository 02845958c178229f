"""EVM addresses (every EVM chain shares them) with EIP-55's mixed-case checksum."""

from __future__ import annotations

import string

from Crypto.Hash import keccak

from backend.linkage.addresses._model import Candidate
from backend.linkage.addresses._refusal import AddressError

__all__ = ["HEX_DIGITS", "checksummed", "ethereum", "keccak256"]

HEX_DIGITS = frozenset(string.hexdigits)
_HEX_LENGTH = 40
_HASH_HEX_LENGTH = 64


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum and Monero use it (not NIST's SHA3-256 padding)."""
    return keccak.new(digest_bits=256, data=data).digest()


def checksummed(hex_address: str) -> str:
    """EIP-55: ``0x`` and the 40 hex digits, a letter upper case where the hash nibble is 8 or more.

    Args:
        hex_address: The 40 hex digits, any case, without ``0x``.
    """
    lowered = hex_address.lower()
    digest = keccak256(lowered.encode("ascii")).hex()
    return "0x" + "".join(
        char.upper() if int(nibble, 16) >= 8 else char
        for char, nibble in zip(lowered, digest, strict=False)
    )


def ethereum(text: str) -> list[Candidate] | None:
    """``0x`` and 40 hex digits; mixed case must be the EIP-55 checksum."""
    if text[:2] not in ("0x", "0X"):
        if len(text) == _HEX_LENGTH and set(text) <= HEX_DIGITS:
            raise AddressError(
                "unknown_format",
                "40 hex digits: an EVM address, but without its 0x prefix",
                chains=("ethereum",),
            )
        return None
    digits = text[2:]
    for position, char in enumerate(digits, start=3):
        if char not in HEX_DIGITS:
            raise AddressError(
                "invalid_character",
                f"character {position} ({char!r}) is not a hex digit",
                chains=("ethereum",),
            )
    if len(digits) != _HEX_LENGTH:
        looks_like = (
            ": 64 are a transaction hash, not an address" if len(digits) == _HASH_HEX_LENGTH else ""
        )
        raise AddressError(
            "wrong_length",
            f"an EVM address has 40 hex digits after 0x, this one {len(digits)}{looks_like}",
            chains=("ethereum",),
        )
    canonical = checksummed(digits)
    if digits not in (digits.lower(), digits.upper()) and digits != canonical[2:]:
        raise AddressError(
            "mixed_case_checksum",
            "the mix of upper and lower case letters is an EIP-55 checksum, and it does "
            "not match: a character is mistyped",
            chains=("ethereum",),
        )
    return [Candidate(chain="ethereum", canonical=canonical, kind="account")]
