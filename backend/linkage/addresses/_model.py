"""The values and errors every part of ``backend.linkage.addresses`` shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "CHAINS",
    "Candidate",
    "Chain",
    "ErrorCode",
    "InvalidValue",
    "Kind",
]

#: The chains an address, transaction id or asset belongs to. ``ethereum``
#: stands for every EVM chain: they share one address space.
Chain = Literal[
    "bitcoin",
    "bitcoin-testnet",
    "ethereum",
    "tron",
    "litecoin",
    "dogecoin",
    "bitcoin-cash",
    "solana",
    "xrp",
    "monero",
    "ton",
]
CHAINS: tuple[Chain, ...] = get_args(Chain)

#: What an address is on its chain. ``account`` is every account-model chain's
#: one kind: an EVM, Tron, Solana or XRP address does not say whether a person
#: or a contract holds it. ``witness_unknown`` is a segwit version BIP-350
#: accepts but no soft fork has defined yet.
Kind = Literal[
    "p2pkh",
    "p2sh",
    "p2wpkh",
    "p2wsh",
    "p2tr",
    "witness_unknown",
    "account",
    "standard",
    "subaddress",
    "integrated",
    "raw",
    "bounceable",
    "non_bounceable",
]

#: Stable codes of every refusal; clients map them to their own messages.
ErrorCode = Literal[
    # addresses and transaction ids
    "bad_checksum",
    "wrong_length",
    "unknown_format",
    "mixed_case_checksum",
    "wrong_chain",
    "invalid_character",
    "mixed_case",
    "malformed",
    # amounts, dates, partial addresses
    "not_a_number",
    "negative",
    "too_many_digits",
    "end_before_start",
    "in_the_future",
    "too_few_characters",
]


class InvalidValue(ValueError):
    """A value that is not what it claims to be, with a stable code and a reason.

    Attributes:
        code: One of ``ErrorCode``; stable, for clients and tests.
        reason: What is wrong, in plain English, for the person who typed it.
    """

    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(reason)
        self.code: ErrorCode = code
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One chain an address is valid on, and its one spelling there.

    Attributes:
        chain: The chain.
        canonical: The spelling every other spelling of the same address maps
            to, so that two disclosures of one wallet compare equal.
        kind: What the address is (``p2pkh``, ``p2wpkh``, ``account``, …).
        legacy: The other spelling a chain still accepts for the same address:
            Bitcoin Cash's base58 ``1…``/``3…`` form, Litecoin's ``3…`` P2SH.
    """

    chain: Chain
    canonical: str
    kind: Kind
    legacy: str | None = None
