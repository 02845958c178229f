"""Request and response bodies for addresses."""

from __future__ import annotations

from typing import Annotated

import msgspec

from backend.linkage.addresses import Chain, Kind

__all__ = ["AddressCandidate", "NormalizeRequest", "NormalizeResponse"]


class NormalizeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An address as typed or pasted, and optionally the chain it is said to be on.

    Outer whitespace and invisible characters are stripped; the bound leaves
    room for them around the longest address (a Monero integrated one, 106).
    """

    address: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=256,
            examples=["0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"],
        ),
    ]
    chain: Chain | None = None


class AddressCandidate(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One chain the address is valid on, and its canonical spelling there."""

    chain: Chain
    canonical: str
    kind: Kind
    legacy: str | None = None


class NormalizeResponse(msgspec.Struct, kw_only=True):
    """Every chain the address is valid on; nothing is guessed or stored."""

    candidates: list[AddressCandidate]
