"""Monero addresses: Monero's block base58 with a Keccak-256 checksum.

Monero does not encode the whole address as one base58 number: it cuts the
bytes into 8-byte blocks, each written as exactly 11 characters (a shorter
last block in fewer, by ``_CHARS_TO_BYTES``), so the length of the text fixes
the length of the data. No library the project trusts implements it, and it is
a codec, not a cryptographic primitive: the few lines are ours.
"""

from __future__ import annotations

from base58_bech32.base58 import BITCOIN_ALPHABET

from backend.linkage.addresses._evm import keccak256
from backend.linkage.addresses._model import Candidate, Chain, Kind
from backend.linkage.addresses._refusal import AddressError, Certainty, checksum_mismatch

__all__ = ["decode_block_base58", "monero"]

_ALPHABET = BITCOIN_ALPHABET.decode()
_DIGIT = {char: value for value, char in enumerate(_ALPHABET)}
_BLOCK_CHARS, _BLOCK_BYTES = 11, 8
# characters of a last, partial block → the bytes they stand for
_CHARS_TO_BYTES = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}
# mainnet network bytes (a one-byte varint each): standard, integrated, subaddress
_KINDS: dict[int, Kind] = {18: "standard", 19: "integrated", 42: "subaddress"}
_TEST_NETWORKS = frozenset({24, 25, 36, 53, 54, 63})  # stagenet, then testnet
# text lengths: network byte + two 32-byte keys (+ 8-byte payment id) + 4-byte checksum
_LENGTHS = {95: 69, 106: 77}
_CHAINS: tuple[Chain, ...] = ("monero",)


def decode_block_base58(text: str) -> bytes:
    """Decode Monero's block base58.

    Raises:
        ValueError: a character outside the alphabet, a last block of an
            impossible length, or a block whose value overflows its bytes.
    """
    out = bytearray()
    for start in range(0, len(text), _BLOCK_CHARS):
        block = text[start : start + _BLOCK_CHARS]
        size = _CHARS_TO_BYTES.get(len(block))
        if size is None:
            raise ValueError(f"a last block of {len(block)} characters is impossible")
        value = 0
        for char in block:
            if char not in _DIGIT:
                raise ValueError("a character outside the base58 alphabet")
            value = value * 58 + _DIGIT[char]
        if value >= 1 << (8 * size):
            raise ValueError("a block's value overflows its bytes")
        out += value.to_bytes(size, "big")
    return bytes(out)


def monero(text: str) -> list[Candidate] | None:
    """Standard (``4…``), integrated (``4…``, 106 characters) and subaddresses (``8…``)."""
    size = _LENGTHS.get(len(text))
    if size is None:
        if text[0] in "48" and 90 <= len(text) <= 110:
            raise AddressError(
                "wrong_length",
                f"a Monero address has 95 characters (106 when integrated), this one {len(text)}",
                chains=_CHAINS,
                certainty=Certainty.SHAPE,
            )
        return None
    for position, char in enumerate(text, start=1):
        if char not in _DIGIT:
            raise AddressError(
                "invalid_character",
                f"character {position} ({char!r}) is not in the base58 alphabet",
                chains=_CHAINS,
            )
    try:
        data = decode_block_base58(text)
    except ValueError:
        raise AddressError(
            "malformed", "a block of the address does not decode", chains=_CHAINS
        ) from None
    body, checksum = data[:-4], data[-4:]
    if keccak256(body)[:4] != checksum:
        raise checksum_mismatch("Monero", chains=_CHAINS)
    network = body[0]
    if network in _TEST_NETWORKS:
        raise AddressError("wrong_chain", "a Monero testnet or stagenet address", chains=_CHAINS)
    kind = _KINDS.get(network)
    if kind is None or (kind == "integrated") != (size == _LENGTHS[106]):
        raise AddressError(
            "unknown_format",
            f"Monero network byte {network} does not fit an address of {len(text)} characters",
            chains=_CHAINS,
        )
    return [Candidate(chain="monero", canonical=text, kind=kind)]
