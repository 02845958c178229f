"""Address validation for the API: the pure rules, their refusals as field errors."""

from __future__ import annotations

from backend.errors import FieldError, ValidationFailed
from backend.linkage.addresses import AddressError, Chain, normalize
from backend.linkage.schemas import AddressCandidate

__all__ = ["normalize_address"]


def normalize_address(address: str, chain: Chain | None) -> list[AddressCandidate]:
    """Every chain ``address`` is valid on (only ``chain`` when given).

    Raises:
        ValidationFailed: one ``address`` field error whose ``code`` is the
            stable ``AddressError`` code and whose reason says what is wrong.
    """
    try:
        candidates = normalize(address, chain)
    except AddressError as exc:
        raise ValidationFailed(
            errors=[FieldError(location="body", field="address", reason=exc.reason, code=exc.code)]
        ) from None
    return [
        AddressCandidate(chain=c.chain, canonical=c.canonical, kind=c.kind, legacy=c.legacy)
        for c in candidates
    ]
