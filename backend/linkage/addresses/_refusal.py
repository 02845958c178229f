"""How one address format says "mine, but broken" (as opposed to "not mine")."""

from __future__ import annotations

from backend.linkage.addresses._model import Chain, ErrorCode, InvalidValue

__all__ = ["AddressError", "Certainty", "checksum_mismatch"]


class Certainty:
    """How sure a format is that a refused string was meant as one of its own.

    When no format accepts a string, the refusal of the surest one is the
    reason given, so that a mistyped Bitcoin address is reported as a bad
    checksum and not as a Solana address of the wrong length.
    """

    #: Only the length and alphabet fit (Solana has no other marker).
    WEAK = 1
    #: The leading characters and length fit a format with a checksum.
    SHAPE = 2
    #: An unmistakable marker: ``0x``, a bech32 or cashaddr prefix, a base58check
    #: checksum that verifies, Monero's or TON's exact lengths.
    MARKED = 3


class AddressError(InvalidValue):
    """An address that is valid on no chain, or not on the chain asked.

    Attributes:
        code: ``bad_checksum``, ``wrong_length``, ``unknown_format``,
            ``mixed_case_checksum``, ``wrong_chain``, ``invalid_character``,
            ``mixed_case`` or ``malformed``.
        reason: What is wrong, in plain English.
        chains: The chains the refusing format serves (empty when none
            recognised the string).
        valid_on: For ``wrong_chain``, the chains the address is valid on.
    """

    def __init__(
        self,
        code: ErrorCode,
        reason: str,
        *,
        chains: tuple[Chain, ...] = (),
        certainty: int = Certainty.MARKED,
        valid_on: tuple[Chain, ...] = (),
    ) -> None:
        super().__init__(code, reason)
        self.chains = chains
        self.certainty = certainty
        self.valid_on = valid_on


def checksum_mismatch(
    name: str, *, chains: tuple[Chain, ...], certainty: int = Certainty.MARKED
) -> AddressError:
    """The one refusal every checksummed format gives when its checksum fails."""
    return AddressError(
        "bad_checksum",
        f"the {name} checksum does not match: a character is mistyped or missing",
        chains=chains,
        certainty=certainty,
    )
