"""Helpers shared by the linkage tests."""

from __future__ import annotations

import pytest

from backend.linkage.addresses import AddressError, Chain, normalize


def assert_refused(address: str, code: str, chain: Chain | None = None) -> AddressError:
    """Assert ``normalize`` refuses the address with this code; return the error."""
    with pytest.raises(AddressError) as refused:
        normalize(address, chain)
    assert refused.value.code == code, refused.value.reason
    return refused.value
