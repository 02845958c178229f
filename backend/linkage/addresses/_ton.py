"""TON addresses: raw ``<workchain>:<64 hex>`` and the 48-character user-friendly form.

The user-friendly form is base64 (either alphabet) of 36 bytes: a flag byte
(0x11 bounceable, 0x51 non-bounceable, plus 0x80 for test networks only), the
workchain as a signed byte, the 32-byte account id, and a CRC16-XMODEM of the
34 bytes before it.

The canonical form is the raw one, lower case: the bounceable and
non-bounceable spellings, in either base64 alphabet, are four spellings of one
account, and only the raw form has one spelling per account. Two victims who
copied ``EQ…`` and ``UQ…`` of the same wallet must land on the same address.
"""

from __future__ import annotations

import base64
import binascii
import re

from backend.linkage.addresses._model import Candidate, Chain, Kind
from backend.linkage.addresses._refusal import AddressError, Certainty, checksum_mismatch

__all__ = ["BASE64_CHARACTERS", "raw_address", "ton", "user_friendly"]

BASE64_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
_RAW = re.compile(r"(-?\d+):(\S*)")
_WORKCHAINS = (0, -1)  # basechain and masterchain
_FLAGS: dict[int, Kind] = {0x11: "bounceable", 0x51: "non_bounceable"}
_TEST_ONLY = 0x80
_LENGTH = 48
_CHAINS: tuple[Chain, ...] = ("ton",)


def raw_address(workchain: int, account: bytes) -> str:
    """The canonical raw spelling."""
    return f"{workchain}:{account.hex()}"


def user_friendly(workchain: int, account: bytes, *, bounceable: bool) -> str:
    """The base64url user-friendly spelling wallets show (mainnet)."""
    body = bytes([0x11 if bounceable else 0x51, workchain & 0xFF]) + account
    crc = binascii.crc_hqx(body, 0).to_bytes(2, "big")
    return base64.urlsafe_b64encode(body + crc).decode("ascii")


def _refuse_workchain(workchain: int) -> None:
    if workchain not in _WORKCHAINS:
        raise AddressError(
            "unknown_format",
            f"workchain {workchain} is neither the basechain (0) nor the masterchain (-1)",
            chains=_CHAINS,
        )


def _raw(text: str) -> list[Candidate] | None:
    match = _RAW.fullmatch(text)
    if match is None:
        return None
    workchain, digits = int(match.group(1)), match.group(2)
    _refuse_workchain(workchain)
    if not set(digits) <= set("0123456789abcdefABCDEF"):
        raise AddressError("invalid_character", "the account id is not hex", chains=_CHAINS)
    if len(digits) != 64:
        raise AddressError(
            "wrong_length",
            f"a raw TON address has 64 hex digits after the colon, this one {len(digits)}",
            chains=_CHAINS,
        )
    return [
        Candidate(chain="ton", canonical=raw_address(workchain, bytes.fromhex(digits)), kind="raw")
    ]


def ton(text: str) -> list[Candidate] | None:
    """Raw or user-friendly TON addresses (mainnet)."""
    if ":" in text:
        return _raw(text)
    if len(text) != _LENGTH or not set(text) <= BASE64_CHARACTERS:
        return None
    url_safe, standard = bool(set(text) & set("-_")), bool(set(text) & set("+/"))
    if url_safe and standard:
        raise AddressError(
            "invalid_character",
            "the address mixes the two base64 alphabets (- _ and + /)",
            chains=_CHAINS,
            certainty=Certainty.SHAPE,
        )
    data = base64.b64decode(text, altchars=b"-_" if url_safe else None, validate=True)
    body, crc = data[:34], int.from_bytes(data[34:], "big")
    if binascii.crc_hqx(body, 0) != crc:
        raise checksum_mismatch("TON (CRC16)", chains=_CHAINS, certainty=Certainty.SHAPE)
    flag, workchain, account = body[0], int.from_bytes(body[1:2], "big", signed=True), body[2:]
    if flag & _TEST_ONLY:
        raise AddressError("wrong_chain", "a TON testnet address (test-only flag)", chains=_CHAINS)
    kind = _FLAGS.get(flag)
    if kind is None:
        raise AddressError(
            "unknown_format", f"flag byte 0x{flag:02x} is not a TON address flag", chains=_CHAINS
        )
    _refuse_workchain(workchain)
    return [Candidate(chain="ton", canonical=raw_address(workchain, account), kind=kind)]
