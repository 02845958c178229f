"""Bech32 formats: segwit addresses (BIP-173, BIP-350) and Bitcoin Cash's cashaddr.

The codecs are ``base58_bech32.bech32`` and ``base58_bech32.cashaddr``; this
module holds the address rules above them: witness versions, program lengths,
which checksum constant goes with which version, and the networks' prefixes.
"""

from __future__ import annotations

from base58_bech32.bech32 import BECH32_1_CONST, bech32_decode, convertbits
from base58_bech32.cashaddr import cashaddr_decode
from base58_bech32.exceptions import Base58Bech32ValueError

from backend.linkage.addresses._base58 import legacy_of_hash
from backend.linkage.addresses._model import Candidate, Chain, Kind
from backend.linkage.addresses._refusal import AddressError, Certainty, checksum_mismatch

__all__ = ["BECH32_CHARACTERS", "SEGWIT_PREFIXES", "cashaddr", "segwit", "unknown_bech32"]

BECH32_CHARACTERS = frozenset("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
#: The human-readable part of each chain's segwit addresses.
SEGWIT_PREFIXES: dict[str, Chain] = {"bc": "bitcoin", "tb": "bitcoin-testnet", "ltc": "litecoin"}
_SEGWIT_CHAINS = tuple(SEGWIT_PREFIXES.values())
_BECH32_MAX_LENGTH = 90  # BIP-173
_CHECKSUM_LENGTH = 6
_BCH: tuple[Chain, ...] = ("bitcoin-cash",)
_CASHADDR_PREFIX = "bitcoincash"
_CASHADDR_TEST_PREFIXES = frozenset({"bchtest", "bchreg"})
# The lengths of a cashaddr payload (without prefix) in characters: a version
# byte and a 20-byte hash (P2PKH, P2SH) or a 32-byte one (P2SH32), plus 8
# checksum characters.
_CASHADDR_LENGTHS = {42: 20, 61: 32}
_CASHADDR_P2SH = 1
_LEGACY_VERSION = {0: 0x00, 1: 0x05}


def _refuse_case_and_characters(
    whole: str, data: str, *, chains: tuple[Chain, ...], name: str
) -> None:
    if whole != whole.lower() and whole != whole.upper():
        raise AddressError(
            "mixed_case",
            f"{name} addresses are all lower case or all upper case, never mixed",
            chains=chains,
        )
    for position, char in enumerate(data.lower(), start=1):
        if char not in BECH32_CHARACTERS:
            hint = " (bech32 leaves out 1, b, i and o)" if char in "1bio" else ""
            raise AddressError(
                "invalid_character",
                f"character {position} of the data part ({char!r}) is not in the "
                f"bech32 alphabet{hint}",
                chains=chains,
            )


def _witness_kind(version: int, program: bytes) -> Kind:
    if version == 0:
        return "p2wpkh" if len(program) == 20 else "p2wsh"
    if version == 1 and len(program) == 32:
        return "p2tr"
    return "witness_unknown"


def segwit(text: str) -> list[Candidate] | None:
    """Native segwit addresses: bech32 for version 0, bech32m for 1 to 16."""
    separator = text.rfind("1")
    chain = SEGWIT_PREFIXES.get(text[:separator].lower()) if separator > 0 else None
    if chain is None:
        return None
    chains: tuple[Chain, ...] = (chain,)
    _refuse_case_and_characters(text, text[separator + 1 :], chains=chains, name="bech32")
    if len(text) > _BECH32_MAX_LENGTH or len(text) - separator - 1 < _CHECKSUM_LENGTH:
        raise AddressError(
            "wrong_length",
            f"a bech32 address has 6 checksum characters and at most 90 in all; "
            f"this one has {len(text)}",
            chains=chains,
        )
    try:
        _, data, constant = bech32_decode(text, limit=_BECH32_MAX_LENGTH)
    except Base58Bech32ValueError:
        # case, characters and length were refused above: what is left is the checksum
        raise checksum_mismatch("bech32", chains=chains) from None
    if not data:
        raise AddressError(
            "malformed", "the address has no witness version or program", chains=chains
        )
    version = data[0]
    if version > 16:
        raise AddressError(
            "malformed", f"witness version {version} does not exist (0 to 16)", chains=chains
        )
    if (version == 0) != (constant == BECH32_1_CONST):
        expected, found = ("bech32", "bech32m") if version == 0 else ("bech32m", "bech32")
        raise AddressError(
            "bad_checksum",
            f"witness version {version} needs a {expected} checksum, this one is {found} (BIP-350)",
            chains=chains,
        )
    try:
        program = bytes(convertbits(data[1:], 5, 8, False))
    except Base58Bech32ValueError:
        raise AddressError(
            "malformed", "the witness program's padding is invalid (BIP-173)", chains=chains
        ) from None
    if not 2 <= len(program) <= 40:
        raise AddressError(
            "wrong_length",
            f"a witness program has 2 to 40 bytes, this one {len(program)}",
            chains=chains,
        )
    if version == 0 and len(program) not in (20, 32):
        raise AddressError(
            "wrong_length",
            f"a version 0 witness program has 20 or 32 bytes, this one {len(program)}",
            chains=chains,
        )
    return [Candidate(chain=chain, canonical=text.lower(), kind=_witness_kind(version, program))]


def unknown_bech32(text: str) -> AddressError | None:
    """Why a valid bech32 string of an unsupported prefix is no address here."""
    try:
        hrp, _, _ = bech32_decode(text, limit=_BECH32_MAX_LENGTH)
    except Base58Bech32ValueError:
        return None
    return AddressError(
        "unknown_format",
        f"a bech32 string whose prefix {hrp!r} belongs to none of the supported chains",
        certainty=Certainty.SHAPE,
    )


def cashaddr(text: str) -> list[Candidate] | None:
    """Bitcoin Cash cashaddr, with or without its ``bitcoincash:`` prefix."""
    prefix, colon, payload = text.rpartition(":")
    lowered = prefix.lower()
    if colon and lowered in _CASHADDR_TEST_PREFIXES:
        raise AddressError(
            "wrong_chain", "a Bitcoin Cash test network address", chains=_BCH, valid_on=()
        )
    if colon and lowered != _CASHADDR_PREFIX:
        return None
    if not colon and not (len(text) in _CASHADDR_LENGTHS and text[0] in "qpQP"):
        return None
    _refuse_case_and_characters(text, payload, chains=_BCH, name="cashaddr")
    size = _CASHADDR_LENGTHS.get(len(payload))
    if size is None:
        raise AddressError(
            "wrong_length",
            f"a cashaddr address has 42 or 61 characters after the prefix, this one {len(payload)}",
            chains=_BCH,
        )
    try:
        _, kind_number, digest = cashaddr_decode(text, prefix=_CASHADDR_PREFIX)
    except Base58Bech32ValueError:
        # case, characters and length were refused above; a well-formed
        # version byte that disagrees with the length would fail after the
        # checksum, and only a deliberately crafted string gets there
        raise checksum_mismatch("cashaddr", chains=_BCH) from None
    if kind_number not in _LEGACY_VERSION or (size == 32 and kind_number != _CASHADDR_P2SH):
        raise AddressError(
            "unknown_format",
            f"cashaddr type {kind_number} with a {len(digest)}-byte hash is not a "
            "P2PKH or P2SH address",
            chains=_BCH,
        )
    kind: Kind = "p2pkh" if kind_number == 0 else "p2sh"
    legacy = legacy_of_hash(_LEGACY_VERSION[kind_number], digest) if size == 20 else None
    canonical = f"{_CASHADDR_PREFIX}:{payload.lower()}"
    return [Candidate(chain="bitcoin-cash", canonical=canonical, kind=kind, legacy=legacy)]
