"""Partial addresses: "starts TX7a, ends 9kP", as wallet apps shorten them."""

from __future__ import annotations

from dataclasses import dataclass

from backend.linkage.addresses._base58 import BASE58_CHARACTERS
from backend.linkage.addresses._bech32 import BECH32_CHARACTERS
from backend.linkage.addresses._evm import HEX_DIGITS
from backend.linkage.addresses._model import CHAINS, Candidate, Chain, InvalidValue
from backend.linkage.addresses._text import clean, require_ascii
from backend.linkage.addresses._ton import BASE64_CHARACTERS, user_friendly
from backend.linkage.addresses.normalize import normalize

__all__ = ["MIN_KNOWN_CHARACTERS", "PartialAddress", "PartialAddressError"]

#: Characters that must be known beyond a chain's fixed opening (``T``, ``0x``,
#: ``bc1q``…): six base58 characters leave one address in 38 billion matching
#: by chance, six hex digits one in 16 million. Fewer would match a crowd.
MIN_KNOWN_CHARACTERS = 6

_BECH32_BOTH_CASES = BECH32_CHARACTERS | {c.upper() for c in BECH32_CHARACTERS}
_BASE58_AND_BECH32 = BASE58_CHARACTERS | _BECH32_BOTH_CASES
_CHARACTERS: dict[Chain, frozenset[str]] = {
    "bitcoin": _BASE58_AND_BECH32,
    "bitcoin-testnet": _BASE58_AND_BECH32,
    "litecoin": _BASE58_AND_BECH32,
    "bitcoin-cash": _BASE58_AND_BECH32 | {":"},
    "ethereum": HEX_DIGITS | {"x", "X"},
    "tron": BASE58_CHARACTERS,
    "dogecoin": BASE58_CHARACTERS,
    "solana": BASE58_CHARACTERS,
    "xrp": BASE58_CHARACTERS,
    "monero": BASE58_CHARACTERS,
    "ton": BASE64_CHARACTERS | {":"},
}
# How every address of a chain opens, longest first: these characters say
# nothing about which address it is, so they do not count as known.
_OPENINGS: dict[Chain, tuple[str, ...]] = {
    "bitcoin": ("bc1q", "bc1p", "bc1", "1", "3"),
    "bitcoin-testnet": ("tb1q", "tb1p", "tb1", "m", "n", "2"),
    "ethereum": ("0x",),
    "tron": ("T",),
    "litecoin": ("ltc1q", "ltc1", "L", "M", "3"),
    "dogecoin": ("D", "A", "9"),
    "bitcoin-cash": ("bitcoincash:q", "bitcoincash:p", "q", "p", "1", "3"),
    "solana": (),
    "xrp": ("r",),
    "monero": ("4", "8"),
    "ton": ("EQ", "UQ", "Ef", "Uf", "-1:", "0:"),
}
# openings written in bech32 (or hex), where case carries nothing
_CASELESS_OPENINGS = ("bc1", "tb1", "ltc1", "bitcoincash:", "0x", "-1:", "0:")


class PartialAddressError(InvalidValue):
    """A partial address that cannot be matched usefully."""


def _opening(chain: Chain, prefix: str) -> str:
    for opening in _OPENINGS[chain]:
        caseless = opening.startswith(_CASELESS_OPENINGS)
        if (prefix.lower() if caseless else prefix).startswith(opening):
            return opening
    return ""


def _spellings(candidate: Candidate) -> list[tuple[str, bool]]:
    """Every way a wallet may display the address, and whether case matters there."""
    canonical = candidate.canonical
    if candidate.chain == "ethereum":
        return [(canonical, False)]
    if candidate.chain == "ton":
        workchain, _, account = canonical.partition(":")
        raw = bytes.fromhex(account)
        return [
            (canonical, False),
            (user_friendly(int(workchain), raw, bounceable=True), True),
            (user_friendly(int(workchain), raw, bounceable=False), True),
        ]
    caseless = canonical == canonical.lower()  # bech32 and cashaddr are lower case
    spellings = [(canonical, not caseless)]
    if candidate.chain == "bitcoin-cash":
        spellings.append((canonical.partition(":")[2], False))
    if candidate.legacy:
        spellings.append((candidate.legacy, True))
    return spellings


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialAddress:
    """The start and end of an address a victim remembers, on one chain.

    Attributes:
        chain: The chain the victim named.
        prefix: The known opening characters ("" when unknown); lower case for
            EVM and bech32 openings, where case means nothing.
        suffix: The known closing characters ("" when unknown); lower case
            for EVM.
    """

    chain: Chain
    prefix: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        if self.chain not in CHAINS:
            raise PartialAddressError("unknown_format", f"{self.chain!r} is not a supported chain")
        prefix, suffix = clean(self.prefix), clean(self.suffix)
        allowed = _CHARACTERS[self.chain]
        for name, part in (("prefix", prefix), ("suffix", suffix)):
            require_ascii(part, what=f"address {name}")
            wrong = sorted(set(part) - allowed)
            if wrong:
                raise PartialAddressError(
                    "invalid_character",
                    f"the {name} has {''.join(wrong)!r}, which no {self.chain} address contains",
                )
        opening = _opening(self.chain, prefix)
        if prefix and _OPENINGS[self.chain] and not opening:
            raise PartialAddressError(
                "unknown_format",
                f"a {self.chain} address starts with "
                + " or ".join(dict.fromkeys(o.rstrip(":") for o in _OPENINGS[self.chain])),
            )
        known = len(prefix) - len(opening) + len(suffix)
        if known < MIN_KNOWN_CHARACTERS:
            raise PartialAddressError(
                "too_few_characters",
                f"{known} known characters would match too many addresses; "
                f"at least {MIN_KNOWN_CHARACTERS} are needed beyond the usual opening",
            )
        if self.chain == "ethereum":
            prefix, suffix = prefix.lower(), suffix.lower()
        elif opening.startswith(_CASELESS_OPENINGS):
            prefix = prefix.lower()
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "suffix", suffix)

    def matches(self, address: str) -> bool:
        """Whether a full address on this chain fits the remembered ends.

        ``address`` may be in any spelling ``normalize`` accepts; every way a
        wallet displays it is compared (the bounceable and non-bounceable
        TON forms, cashaddr with and without its prefix, legacy forms), case
        aside where case means nothing (EVM, bech32, cashaddr, hex). An
        address not valid on the chain matches nothing.
        """
        try:
            candidates = normalize(address, self.chain)
        except InvalidValue:
            return False
        for candidate in candidates:
            for spelling, case_matters in _spellings(candidate):
                if len(self.prefix) + len(self.suffix) > len(spelling):
                    continue
                text = spelling if case_matters else spelling.lower()
                prefix = self.prefix if case_matters else self.prefix.lower()
                suffix = self.suffix if case_matters else self.suffix.lower()
                if text.startswith(prefix) and text.endswith(suffix):
                    return True
        return False
