"""``normalize``: every chain an address is valid on, or why it is valid on none."""

from __future__ import annotations

from collections.abc import Callable

from backend.linkage.addresses import _base58, _bech32, _evm, _monero, _ton
from backend.linkage.addresses._model import CHAINS, Candidate, Chain, InvalidValue
from backend.linkage.addresses._refusal import AddressError, Certainty
from backend.linkage.addresses._text import clean, require_ascii

__all__ = ["MAX_ADDRESS_LENGTH", "normalize"]

#: Longer than any supported address (a Monero integrated address has 106).
MAX_ADDRESS_LENGTH = 128

_Format = Callable[[str], list[Candidate] | None]

# Every format is tried on every string: formats overlap (legacy "3…" is
# Bitcoin, Bitcoin Cash and Litecoin; a 43-character base58 string is a Solana
# address whatever else it is), and the caller gets every reading.
_FORMATS: tuple[_Format, ...] = (
    _evm.ethereum,
    _bech32.segwit,
    _bech32.cashaddr,
    _base58.bitcoin_family,
    _base58.xrp,
    _base58.solana,
    _monero.monero,
    _ton.ton,
)


def _chain_names(chains: tuple[Chain, ...] | list[Chain]) -> str:
    return ", ".join(dict.fromkeys(chains))


def _most_telling(refusals: list[AddressError], chain: Chain | None) -> AddressError:
    """The refusal of the format surest the string was its own (the first among equals)."""
    if chain is not None:
        own = [r for r in refusals if chain in r.chains]
        refusals = own or refusals
    return max(refusals, key=lambda r: r.certainty)  # max keeps the first of equals


def normalize(address: str, chain: Chain | None = None) -> list[Candidate]:
    """Every chain ``address`` is valid on, each with its canonical spelling.

    Whitespace and invisible characters (zero-width, BOM, soft hyphen, bidi
    marks) are stripped from both ends; anything else out of place is an
    error. Nothing is guessed: an address valid on three chains gives three
    candidates, in the order of ``CHAINS``.

    Args:
        address: What the person typed or pasted.
        chain: The chain it is said to be on; candidates are then limited to it.

    Returns:
        At least one candidate.

    Raises:
        AddressError: The address is valid on no chain (the reason of the
            format it most resembles), or valid but not on ``chain``
            (``wrong_chain``, with ``valid_on``).
    """
    if chain is not None and chain not in CHAINS:
        raise AddressError("unknown_format", f"{chain!r} is not a supported chain")
    text = clean(address)
    if not text:
        raise AddressError("unknown_format", "the address is empty")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise AddressError(
            "wrong_length", f"{len(text)} characters is longer than any supported address"
        )
    try:
        require_ascii(text, what="address")
    except InvalidValue as exc:
        raise AddressError(exc.code, exc.reason) from None

    candidates: list[Candidate] = []
    refusals: list[AddressError] = []
    for read in _FORMATS:
        try:
            candidates.extend(read(text) or ())
        except AddressError as refusal:
            refusals.append(refusal)
    candidates.sort(key=lambda c: CHAINS.index(c.chain))

    if candidates and chain is None:
        return candidates
    if chain is not None:
        mine = [c for c in candidates if c.chain == chain]
        if mine:
            return mine
        if candidates:
            valid_on = tuple(dict.fromkeys(c.chain for c in candidates))
            raise AddressError(
                "wrong_chain",
                f"a valid {_chain_names(valid_on)} address, but not a {chain} address",
                valid_on=valid_on,
            )
    if refusals:
        raise _most_telling(refusals, chain)
    unknown = _bech32.unknown_bech32(text)
    if unknown is not None:
        raise unknown
    raise AddressError(
        "unknown_format",
        f"this is not an address of any supported chain ({_chain_names(list(CHAINS))})",
        certainty=Certainty.WEAK,
    )
