"""Test-only encoders: spell random keys as each chain does, independently of the code under test.

Base58check comes from the ``base58`` package (a different implementation from
the one the code uses); bech32 and cashaddr from the codec library's encoders
(the code under test uses only its decoders); Monero's block base58 and TON's
user-friendly form are written here from their specifications.
"""

from __future__ import annotations

import base64
import binascii

import base58
from base58_bech32.bech32 import bech32_encode, convertbits
from base58_bech32.cashaddr import cashaddr_encode
from Crypto.Hash import keccak

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(version: int, payload: bytes, *, xrp: bool = False) -> str:
    alphabet = base58.XRP_ALPHABET if xrp else base58.BITCOIN_ALPHABET
    return base58.b58encode_check(bytes([version]) + payload, alphabet=alphabet).decode()


def plain_base58(data: bytes) -> str:
    return base58.b58encode(data).decode()


def segwit(hrp: str, version: int, program: bytes) -> str:
    return bech32_encode(hrp, [version, *convertbits(program, 8, 5)]).decode()


def cashaddr(kind: int, digest: bytes) -> str:
    return cashaddr_encode("bitcoincash", kind, digest).decode()


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def eip55(account: bytes) -> str:
    digits = account.hex()
    nibbles = keccak256(digits.encode()).hex()
    return "0x" + "".join(
        c.upper() if int(n, 16) > 7 else c for c, n in zip(digits, nibbles[:40], strict=True)
    )


def monero(network: int, body: bytes) -> str:
    data = bytes([network]) + body
    data += keccak256(data)[:4]
    sizes = {0: 0, 1: 2, 2: 3, 3: 5, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11}
    text = ""
    for start in range(0, len(data), 8):
        block = data[start : start + 8]
        value, chars = int.from_bytes(block, "big"), ""
        for _ in range(sizes[len(block)]):
            value, digit = divmod(value, 58)
            chars = ALPHABET[digit] + chars
        text += chars
    return text


def ton(workchain: int, account: bytes, *, flag: int, url_safe: bool = True) -> str:
    body = bytes([flag, workchain & 0xFF]) + account
    data = body + binascii.crc_hqx(body, 0).to_bytes(2, "big")
    return (base64.urlsafe_b64encode if url_safe else base64.b64encode)(data).decode()
