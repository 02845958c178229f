"""Base58 formats: the Bitcoin family and Tron (base58check), XRP, Solana.

The codec is ``base58_bech32.base58``; this module knows which version byte
belongs to which chain.
"""

from __future__ import annotations

from base58_bech32.base58 import (
    BITCOIN_ALPHABET,
    RIPPLE_ALPHABET,
    b58decode,
    b58decode_check,
    b58encode_check,
)
from base58_bech32.cashaddr import cashaddr_encode
from base58_bech32.exceptions import Base58Bech32ValueError

from backend.linkage.addresses._model import Candidate, Chain, Kind
from backend.linkage.addresses._refusal import AddressError, Certainty, checksum_mismatch

__all__ = [
    "BASE58_CHARACTERS",
    "bitcoin_family",
    "cashaddr_of_legacy",
    "decode_base58",
    "legacy_of_hash",
    "solana",
    "xrp",
]

BASE58_CHARACTERS = frozenset(BITCOIN_ALPHABET.decode())

# Version byte → (chain, kind) for a 20-byte hash. 0x00 and 0x05 are shared:
# Bitcoin Cash kept Bitcoin's legacy format, and Litecoin Core still accepts
# Bitcoin's 0x05 ("3…") for P2SH beside its own 0x32 ("M…"), so a "3…" address
# is a candidate on all three chains.
_VERSIONS: dict[int, tuple[tuple[Chain, Kind], ...]] = {
    0x00: (("bitcoin", "p2pkh"), ("bitcoin-cash", "p2pkh")),
    0x05: (("bitcoin", "p2sh"), ("bitcoin-cash", "p2sh"), ("litecoin", "p2sh")),
    0x6F: (("bitcoin-testnet", "p2pkh"),),
    0xC4: (("bitcoin-testnet", "p2sh"),),
    0x30: (("litecoin", "p2pkh"),),
    0x32: (("litecoin", "p2sh"),),
    0x1E: (("dogecoin", "p2pkh"),),
    0x16: (("dogecoin", "p2sh"),),
    0x41: (("tron", "account"),),
}
_FAMILY: tuple[Chain, ...] = tuple(dict.fromkeys(c for v in _VERSIONS.values() for c, _ in v))
# What each version byte makes the first character: 1, 3, m/n, 2, L, M, D, 9/A, T.
_LEADING = frozenset("13mn2LMD9AT")
_LITECOIN_P2SH = 0x32
_BITCOIN_P2SH = 0x05
_CASHADDR_TYPE = {"p2pkh": 0, "p2sh": 1}
# A version byte, a 20-byte hash and a 4-byte checksum: 25 bytes, 26 to 35
# characters (fewer only with leading zero bytes, which no version here makes).
_MIN_LENGTH, _MAX_LENGTH = 25, 35


def decode_base58(text: str, *, alphabet: bytes, chains: tuple[Chain, ...]) -> bytes:
    """Decode base58 text, refusing a character outside the alphabet by position."""
    allowed = alphabet.decode()
    for position, char in enumerate(text, start=1):
        if char not in allowed:
            hint = " (base58 leaves out 0, O, I and l)" if char in "0OIl" else ""
            raise AddressError(
                "invalid_character",
                f"character {position} ({char!r}) is not in the base58 alphabet{hint}",
                chains=chains,
                certainty=Certainty.SHAPE,
            )
    return b58decode(text, alphabet=alphabet, max_length=128)


def _checked_payload(text: str, *, alphabet: bytes, chains: tuple[Chain, ...], name: str) -> bytes:
    """The payload of base58check text of a 25-byte address, checksum verified."""
    raw = decode_base58(text, alphabet=alphabet, chains=chains)
    try:
        payload = b58decode_check(text, alphabet=alphabet)
    except Base58Bech32ValueError:
        # the alphabet was checked above and the length is capped by the
        # callers, so what is left to fail is the checksum
        raise checksum_mismatch(name, chains=chains, certainty=Certainty.SHAPE) from None
    if len(raw) != 25:
        raise AddressError(
            "wrong_length",
            f"a {name} address holds 25 bytes, this one {len(raw)}",
            chains=chains,
            certainty=Certainty.MARKED,
        )
    return payload


def legacy_of_hash(version: int, digest: bytes) -> str:
    """The base58check spelling of a version byte and a 20-byte hash."""
    return b58encode_check(bytes([version]) + digest).decode("ascii")


def cashaddr_of_legacy(kind: Kind, digest: bytes) -> str:
    """The Bitcoin Cash cashaddr of a legacy P2PKH or P2SH hash."""
    return cashaddr_encode("bitcoincash", _CASHADDR_TYPE[kind], digest).decode("ascii")


def bitcoin_family(text: str) -> list[Candidate] | None:
    """Base58check addresses of Bitcoin, its testnet, Litecoin, Dogecoin, Bitcoin Cash, Tron."""
    if text[0] not in _LEADING or not _MIN_LENGTH <= len(text) <= _MAX_LENGTH:
        return None
    payload = _checked_payload(text, alphabet=BITCOIN_ALPHABET, chains=_FAMILY, name="base58check")
    version, digest = payload[0], payload[1:]
    uses = _VERSIONS.get(version)
    if uses is None:
        raise AddressError(
            "unknown_format",
            f"a base58check address with version byte 0x{version:02x}, "
            "which is none of the supported chains",
            chains=_FAMILY,
        )
    candidates = []
    for chain, kind in uses:
        if chain == "bitcoin-cash":
            candidates.append(
                Candidate(
                    chain=chain, canonical=cashaddr_of_legacy(kind, digest), kind=kind, legacy=text
                )
            )
        elif chain == "litecoin" and kind == "p2sh":
            candidates.append(
                Candidate(
                    chain=chain,
                    canonical=legacy_of_hash(_LITECOIN_P2SH, digest),
                    kind=kind,
                    legacy=legacy_of_hash(_BITCOIN_P2SH, digest),
                )
            )
        else:
            candidates.append(Candidate(chain=chain, canonical=text, kind=kind))
    return candidates


def xrp(text: str) -> list[Candidate] | None:
    """Classic XRP Ledger addresses: ``r…``, base58check in Ripple's alphabet."""
    if not text.startswith("r") or not _MIN_LENGTH <= len(text) <= _MAX_LENGTH:
        return None
    payload = _checked_payload(text, alphabet=RIPPLE_ALPHABET, chains=("xrp",), name="XRP")
    if payload[0] != 0:
        raise AddressError(
            "unknown_format",
            f"an XRP account id has version byte 0x00, this one 0x{payload[0]:02x}",
            chains=("xrp",),
        )
    return [Candidate(chain="xrp", canonical=text, kind="account")]


def solana(text: str) -> list[Candidate] | None:
    """Solana addresses: any 32 bytes in base58.

    Program-derived addresses are off the ed25519 curve by design, so the curve
    is not checked. There is no checksum either: a mistyped Solana address is
    another valid one, which is why ``normalize`` returns it beside any other
    candidate and never picks one.
    """
    if not 32 <= len(text) <= 44 or not set(text) <= BASE58_CHARACTERS:
        return None
    raw = decode_base58(text, alphabet=BITCOIN_ALPHABET, chains=("solana",))
    if len(raw) != 32:
        raise AddressError(
            "wrong_length",
            f"a Solana address holds 32 bytes, this one {len(raw)}",
            chains=("solana",),
            certainty=Certainty.WEAK,
        )
    return [Candidate(chain="solana", canonical=text, kind="account")]
