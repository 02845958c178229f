"""Random keys, spelled by the oracle, round-trip through ``normalize``; one typo is caught.

A short run here; the ``slow`` variants run more examples (many more with
``LANTERN_TEST_PROFILE=long``, see tests/profile.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.linkage.addresses import AddressError, Chain, normalize
from tests.backend.linkage import oracle
from tests.profile import size

B20 = st.binary(min_size=20, max_size=20)
B32 = st.binary(min_size=32, max_size=32)
B64 = st.binary(min_size=64, max_size=64)

# (strategy of (address, chain), whether one substituted character is always caught)
SPELLINGS: dict[str, tuple[st.SearchStrategy[tuple[str, Chain]], bool]] = {
    "base58check": (
        st.tuples(
            st.sampled_from(
                [
                    (0x00, "bitcoin"),
                    (0x05, "bitcoin"),
                    (0x6F, "bitcoin-testnet"),
                    (0x30, "litecoin"),
                    (0x1E, "dogecoin"),
                    (0x41, "tron"),
                ]
            ),
            B20,
        ).map(lambda v: (oracle.base58check(v[0][0], v[1]), v[0][1])),
        True,
    ),
    "segwit": (
        st.tuples(
            st.sampled_from([("bc", "bitcoin"), ("tb", "bitcoin-testnet"), ("ltc", "litecoin")]),
            st.sampled_from([(0, 20), (0, 32), (1, 32), (2, 16)]),
            st.binary(min_size=40, max_size=40),
        ).map(lambda v: (oracle.segwit(v[0][0], v[1][0], v[2][: v[1][1]]), v[0][1])),
        True,
    ),
    "cashaddr": (
        st.tuples(st.sampled_from([0, 1]), B20).map(
            lambda v: (oracle.cashaddr(v[0], v[1]), "bitcoin-cash")
        ),
        True,
    ),
    "xrp": (B20.map(lambda b: (oracle.base58check(0x00, b, xrp=True), "xrp")), True),
    "monero": (
        st.tuples(st.sampled_from([18, 42]), B64).map(
            lambda v: (oracle.monero(v[0], v[1]), "monero")
        ),
        True,
    ),
    "ton": (
        st.tuples(st.sampled_from([0, -1]), B32, st.sampled_from([0x11, 0x51]), st.booleans()).map(
            lambda v: (oracle.ton(v[0], v[1], flag=v[2], url_safe=v[3]), "ton")
        ),
        True,
    ),
    "evm": (B20.map(lambda b: (oracle.eip55(b), "ethereum")), False),
    "solana": (B32.map(lambda b: (oracle.plain_base58(b), "solana")), False),
}

ALPHABETS = {
    "cashaddr": "qpzry9x8gf2tvdw0s3jn54khce6mua7l",
    "segwit": "qpzry9x8gf2tvdw0s3jn54khce6mua7l",
    "ton": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "xrp": "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz",
}


def _examples(n: int) -> Callable[..., object]:
    return settings(max_examples=n, deadline=None)


def _run(n: int, check: Callable[..., None], *strategies: st.SearchStrategy[object]) -> None:
    """Run ``check`` over ``n`` examples (a fresh wrapper each time: settings apply once)."""
    settings(max_examples=n, deadline=None)(given(st.tuples(*strategies))(lambda v: check(*v)))()


def _round_trip(spelled: tuple[str, Chain]) -> None:
    address, chain = spelled
    candidates = normalize(address)
    mine = [c for c in candidates if c.chain == chain]
    assert len(mine) == 1
    # the canonical spelling is a fixed point, and the chain's own answer is the same
    assert normalize(mine[0].canonical, chain)[0].canonical == mine[0].canonical
    assert normalize(address, chain) == mine


def _one_typo_is_caught(name: str, spelled: tuple[str, Chain], data: st.DataObject) -> None:
    address, chain = spelled
    canonical = normalize(address, chain)[0].canonical
    start = {"segwit": address.rfind("1") + 1, "cashaddr": address.find(":") + 1}.get(name, 1)
    at = data.draw(st.integers(start, len(address) - 1))
    alphabet = ALPHABETS.get(name, oracle.ALPHABET)
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != address[at]]))
    typo = address[:at] + replacement + address[at + 1 :]
    try:
        survivors = normalize(typo, chain)
    except AddressError:
        return
    assert all(c.canonical != canonical for c in survivors)
    pytest.fail(f"{name}: a substituted character went unnoticed")


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_random_keys_round_trip(name: str) -> None:
    _run(25, _round_trip, SPELLINGS[name][0])


@pytest.mark.parametrize("name", [n for n, (_, caught) in SPELLINGS.items() if caught])
def test_one_substituted_character_is_caught_by_the_checksum(name: str) -> None:
    given(SPELLINGS[name][0], st.data())(
        _examples(25)(lambda s, d: _one_typo_is_caught(name, s, d))
    )()


@_examples(50)
@given(B20, st.data())
def test_flipping_the_case_of_one_letter_breaks_the_eip55_checksum(
    account: bytes, data: st.DataObject
) -> None:
    address = oracle.eip55(account)
    letters = [i for i, c in enumerate(address) if i > 1 and c.isalpha()]
    if not letters:
        return
    at = data.draw(st.sampled_from(letters))
    flipped = address[:at] + address[at].swapcase() + address[at + 1 :]
    if flipped[2:] in (flipped[2:].lower(), flipped[2:].upper()):
        return  # a single case throughout is EIP-55's "no checksum", and accepted
    with pytest.raises(AddressError) as refused:
        normalize(flipped)
    assert refused.value.code == "mixed_case_checksum"


@_examples(200)
@given(st.text(max_size=140))
def test_any_text_is_candidates_or_an_address_error(text: str) -> None:
    try:
        assert normalize(text)
    except AddressError as refused:
        assert refused.reason and refused.code


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SPELLINGS))
def test_random_keys_round_trip_long(name: str) -> None:
    _run(size(ci=150, long=2000), _round_trip, SPELLINGS[name][0])


@pytest.mark.slow
@_examples(size(ci=800, long=20000))
@given(st.text(max_size=140))
def test_any_text_long(text: str) -> None:
    test_any_text_is_candidates_or_an_address_error.hypothesis.inner_test(text)  # type: ignore[attr-defined]
