"""Amounts: exact decimals of an asset whose identity includes its chain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from backend.linkage.addresses._model import CHAINS, Chain, InvalidValue
from backend.linkage.addresses._text import clean
from backend.linkage.addresses.normalize import normalize

__all__ = ["MAX_FRACTION_DIGITS", "MAX_INTEGER_DIGITS", "Amount", "AmountError", "Asset"]

#: 18 is the most any supported chain divides its coin into (ether, ERC-20s).
MAX_FRACTION_DIGITS = 18
#: Room for any real payment in the smallest-valued token, and no more.
MAX_INTEGER_DIGITS = 24
_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?")
_SYMBOL = re.compile(r"[A-Z0-9.]{1,16}")


class AmountError(InvalidValue):
    """An amount or asset that cannot be recorded exactly."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    """What was paid: a chain's own coin, or a token contract on that chain.

    USDT on Tron and USDT on Ethereum are different assets: the chain is part
    of the identity, and so is the token contract when there is one (the
    symbol alone is not: anyone can deploy a token called USDT).

    Attributes:
        chain: The chain the payment was made on.
        symbol: Upper case ticker as the victim or the wallet named it.
        contract: The token's contract (mint, jetton master) address in its
            canonical form; None for the chain's own coin.
    """

    chain: Chain
    symbol: str
    contract: str | None = None

    def __post_init__(self) -> None:
        if self.chain not in CHAINS:
            raise AmountError("unknown_format", f"{self.chain!r} is not a supported chain")
        symbol = clean(self.symbol).upper()
        if not _SYMBOL.fullmatch(symbol):
            raise AmountError(
                "invalid_character", "an asset symbol is 1 to 16 letters, digits or dots"
            )
        object.__setattr__(self, "symbol", symbol)
        if self.contract is not None:
            # raises AddressError (an InvalidValue) when the contract is not on the chain
            (candidate,) = normalize(self.contract, self.chain)
            object.__setattr__(self, "contract", candidate.canonical)


@dataclass(frozen=True, slots=True, kw_only=True)
class Amount:
    """An exact, non-negative quantity of one asset.

    Attributes:
        asset: What was paid.
        value: The quantity in whole units of the asset (1.5 USDT, not 1500000).
    """

    asset: Asset
    value: Decimal

    @classmethod
    def parse(cls, text: str, *, asset: Asset) -> Amount:
        """Read a quantity as people write it: digits, optionally a point and more digits.

        No exponent, sign, thousands separator or float: ``1,000`` is 1000 in
        one country and 1.000 in another, and a float has already lost digits.

        Raises:
            AmountError: ``not_a_number``, ``negative`` or ``too_many_digits``.
        """
        if not isinstance(text, str):
            raise AmountError("not_a_number", "an amount is given as text, never as a binary float")
        value = clean(text)
        if value.startswith("-"):
            raise AmountError("negative", "an amount paid cannot be negative")
        match = _NUMBER.fullmatch(value)
        if match is None:
            raise AmountError(
                "not_a_number",
                "an amount is digits with an optional decimal point, like 1250.75 "
                "(no sign, exponent or thousands separator)",
            )
        whole, fraction = match.group(1).lstrip("0"), match.group(2) or ""
        if len(whole) > MAX_INTEGER_DIGITS or len(fraction) > MAX_FRACTION_DIGITS:
            raise AmountError(
                "too_many_digits",
                f"at most {MAX_INTEGER_DIGITS} digits before the point and "
                f"{MAX_FRACTION_DIGITS} after it",
            )
        return cls(asset=asset, value=Decimal(value))

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise AmountError("not_a_number", "an amount is a finite Decimal")
        if self.value.is_signed():
            raise AmountError("negative", "an amount paid cannot be negative")
        _, digits, exponent = self.value.as_tuple()
        assert isinstance(exponent, int)  # finite, checked above
        if -exponent > MAX_FRACTION_DIGITS or len(digits) + exponent > MAX_INTEGER_DIGITS:
            raise AmountError(
                "too_many_digits",
                f"at most {MAX_INTEGER_DIGITS} digits before the point and "
                f"{MAX_FRACTION_DIGITS} after it",
            )
