"""Transaction ids, per chain, in one canonical spelling each."""

from __future__ import annotations

import base64
import binascii

from base58_bech32.base58 import BITCOIN_ALPHABET

from backend.linkage.addresses._base58 import BASE58_CHARACTERS, decode_base58
from backend.linkage.addresses._evm import HEX_DIGITS
from backend.linkage.addresses._model import CHAINS, Chain, InvalidValue
from backend.linkage.addresses._text import clean, require_ascii
from backend.linkage.addresses._ton import BASE64_CHARACTERS

__all__ = ["TxidError", "normalize_txid"]

_HASH_HEX = 64
# a 64-byte ed25519 signature: at most 88 base58 characters
_SOLANA_MAX = 88


class TxidError(InvalidValue):
    """A transaction id that is not one on the chain given."""


def _hex_hash(text: str, *, chain: Chain, prefix: str = "") -> str:
    if prefix and not text.lower().startswith(prefix):
        raise TxidError("unknown_format", f"a {chain} transaction hash begins with {prefix}")
    digits = text[len(prefix) :]
    for position, char in enumerate(digits, start=len(prefix) + 1):
        if char not in HEX_DIGITS:
            raise TxidError(
                "invalid_character", f"character {position} ({char!r}) is not a hex digit"
            )
    if len(digits) != _HASH_HEX:
        raise TxidError(
            "wrong_length",
            f"a {chain} transaction hash has 64 hex digits{' after ' + prefix if prefix else ''}, "
            f"this one {len(digits)}",
        )
    return prefix + digits.lower()


def _solana(text: str) -> str:
    if len(text) > _SOLANA_MAX:
        raise TxidError(
            "wrong_length", f"a Solana signature has at most 88 characters, this one {len(text)}"
        )
    try:
        raw = decode_base58(text, alphabet=BITCOIN_ALPHABET, chains=("solana",))
    except InvalidValue as exc:
        raise TxidError(exc.code, exc.reason) from None
    if len(raw) != 64:
        raise TxidError("wrong_length", f"a Solana signature holds 64 bytes, this one {len(raw)}")
    return text


def _ton(text: str) -> str:
    if len(text) == _HASH_HEX and set(text) <= HEX_DIGITS:
        return text.lower()
    if not set(text.rstrip("=")) <= BASE64_CHARACTERS:
        raise TxidError("invalid_character", "a TON transaction hash is hex or base64")
    url_safe = bool(set(text) & set("-_"))
    if url_safe and set(text) & set("+/"):
        raise TxidError(
            "invalid_character", "the hash mixes the two base64 alphabets (- _ and + /)"
        )
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True)
    except binascii.Error:
        raise TxidError("malformed", "the base64 of the hash does not decode") from None
    if len(raw) != 32:
        raise TxidError(
            "wrong_length", f"a TON transaction hash holds 32 bytes, this one {len(raw)}"
        )
    return raw.hex()


def normalize_txid(txid: str, chain: Chain) -> str:
    """The canonical spelling of a transaction id on ``chain``.

    Hex hashes come back lower case (EVM ones with ``0x``); a TON hash given in
    base64 comes back as hex, so that both spellings compare equal; a Solana
    signature is base58 and case-sensitive, so it comes back as given.

    Args:
        txid: What the person typed or pasted (outer whitespace and invisible
            characters are stripped).
        chain: The chain of the transaction.

    Raises:
        TxidError: Not a transaction id of ``chain``, with a code and a reason.
    """
    if chain not in CHAINS:
        raise TxidError("unknown_format", f"{chain!r} is not a supported chain")
    text = clean(txid)
    if not text:
        raise TxidError("unknown_format", "the transaction id is empty")
    if len(text) > 2 * _SOLANA_MAX:
        raise TxidError("wrong_length", f"{len(text)} characters is longer than any transaction id")
    try:
        require_ascii(text, what="transaction id")
    except InvalidValue as exc:
        raise TxidError(exc.code, exc.reason) from None
    if chain == "ethereum":
        return _hex_hash(text, chain=chain, prefix="0x")
    if chain == "solana":
        if not set(text) <= BASE58_CHARACTERS and set(text) <= HEX_DIGITS | {"x"}:
            raise TxidError(
                "unknown_format", "a Solana transaction id is a base58 signature, not hex"
            )
        return _solana(text)
    if chain == "ton":
        return _ton(text)
    return _hex_hash(text, chain=chain)
