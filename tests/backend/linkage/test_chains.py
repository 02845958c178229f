"""Every chain's valid and invalid forms, spelled from synthetic keys by the oracle."""

from __future__ import annotations

import pytest

from backend.linkage.addresses import CHAINS, normalize
from tests.backend.linkage import oracle
from tests.backend.linkage.support import assert_refused

H20 = bytes(range(1, 21))
H32 = bytes(range(100, 132))
KEYS64 = bytes(range(64))

VALID = [  # (address, chain, kind, canonical or None for "as given")
    (oracle.base58check(0x6F, H20), "bitcoin-testnet", "p2pkh", None),
    (oracle.base58check(0xC4, H20), "bitcoin-testnet", "p2sh", None),
    (oracle.segwit("tb", 0, H20), "bitcoin-testnet", "p2wpkh", None),
    (oracle.base58check(0x41, H20), "tron", "account", None),
    (oracle.base58check(0x30, H20), "litecoin", "p2pkh", None),
    (oracle.base58check(0x32, H20), "litecoin", "p2sh", None),
    (oracle.segwit("ltc", 0, H32), "litecoin", "p2wsh", None),
    (oracle.base58check(0x1E, H20), "dogecoin", "p2pkh", None),
    (oracle.base58check(0x16, H20), "dogecoin", "p2sh", None),
    (oracle.cashaddr(1, H32), "bitcoin-cash", "p2sh", None),
    (oracle.plain_base58(H32), "solana", "account", None),
    (oracle.plain_base58(b"\xff" * 32), "solana", "account", None),
    (oracle.base58check(0x00, H20, xrp=True), "xrp", "account", None),
    (oracle.monero(18, KEYS64), "monero", "standard", None),
    (oracle.monero(42, KEYS64), "monero", "subaddress", None),
    (oracle.monero(19, KEYS64 + b"\x07" * 8), "monero", "integrated", None),
    (f"0:{H32.hex().upper()}", "ton", "raw", f"0:{H32.hex()}"),
    (f"-1:{H32.hex()}", "ton", "raw", f"-1:{H32.hex()}"),
    (oracle.ton(0, H32, flag=0x11), "ton", "bounceable", f"0:{H32.hex()}"),
    (oracle.ton(0, H32, flag=0x51), "ton", "non_bounceable", f"0:{H32.hex()}"),
    (oracle.ton(-1, H32, flag=0x51, url_safe=False), "ton", "non_bounceable", f"-1:{H32.hex()}"),
]


@pytest.mark.parametrize(("address", "chain", "kind", "canonical"), VALID)
def test_valid_forms(address: str, chain: str, kind: str, canonical: str | None) -> None:
    (candidate,) = normalize(address, chain)  # type: ignore[arg-type]
    assert candidate.kind == kind
    assert candidate.canonical == (canonical or address)


def test_a_p2sh_3_address_is_a_candidate_on_three_chains_and_litecoin_spells_it_m() -> None:
    address = oracle.base58check(0x05, H20)
    candidates = {c.chain: c for c in normalize(address)}
    assert list(candidates) == ["bitcoin", "litecoin", "bitcoin-cash"]  # in CHAINS order
    assert candidates["litecoin"].canonical == oracle.base58check(0x32, H20)
    assert candidates["litecoin"].legacy == address
    assert candidates["bitcoin-cash"].canonical == oracle.cashaddr(1, H20)
    assert normalize(oracle.base58check(0x32, H20))[0].canonical == candidates["litecoin"].canonical


def test_both_ton_spellings_of_one_account_have_one_canonical_form() -> None:
    spellings = [
        oracle.ton(0, H32, flag=0x11),
        oracle.ton(0, H32, flag=0x51),
        oracle.ton(0, H32, flag=0x11, url_safe=False),
        f"0:{H32.hex()}",
    ]
    assert len({normalize(s)[0].canonical for s in spellings}) == 1


@pytest.mark.parametrize(
    ("address", "code"),
    [
        (oracle.base58check(0x41, H20)[:-1] + "X", "bad_checksum"),
        (oracle.base58check(0x41, H20).replace("T", "T0", 1)[:34], "invalid_character"),
        (oracle.base58check(0x41, H20 + b"\x00"), "wrong_length"),
        (oracle.base58check(0x99, H20), "unknown_format"),
        (oracle.base58check(0x00, H20, xrp=True)[:-1] + "x", "bad_checksum"),
        (oracle.plain_base58(H32[:-1]), "wrong_length"),  # Solana: 31 bytes
        (oracle.monero(18, KEYS64)[:-1] + "2", "bad_checksum"),
        (oracle.monero(18, KEYS64)[:-1], "wrong_length"),
        (oracle.monero(24, KEYS64), "wrong_chain"),  # stagenet
        (oracle.monero(19, KEYS64), "unknown_format"),  # integrated network byte, standard length
        (oracle.ton(0, H32, flag=0x11)[:-2] + "AA", "bad_checksum"),
        (oracle.ton(0, H32, flag=0x91), "wrong_chain"),  # test-only flag
        (oracle.ton(5, H32, flag=0x11), "unknown_format"),  # no such workchain
        (oracle.ton(0, H32, flag=0x12), "unknown_format"),
        (f"0:{H32.hex()[:-1]}", "wrong_length"),
        (f"0:{H32.hex()[:-1]}g", "invalid_character"),
        ("0x" + "ab" * 32, "wrong_length"),  # a transaction hash, not an address
        ("0x" + "ab" * 19 + "zz", "invalid_character"),
        ("ab" * 20, "unknown_format"),  # EVM needs its 0x
        (oracle.segwit("bc", 0, H20).upper()[:-1] + "Q", "bad_checksum"),
    ],
)
def test_invalid_forms(address: str, code: str) -> None:
    assert_refused(address, code)


@pytest.mark.parametrize(
    "padding",
    [
        "  ",
        "\t\n",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u00ad",
        "\u200e",
        "\u200f",
        "\u202a",
        "\u2066",
        "\u00a0",
    ],
)
def test_whitespace_and_invisible_characters_around_an_address_are_stripped(padding: str) -> None:
    address = oracle.base58check(0x41, H20)
    assert normalize(padding + address + padding) == normalize(address)


@pytest.mark.parametrize("inside", [" ", "\u200b", "\ufeff", "é", "\u0430"])  # last: Cyrillic a
def test_anything_out_of_place_inside_an_address_is_refused(inside: str) -> None:
    address = oracle.base58check(0x41, H20)
    refused = assert_refused(address[:10] + inside + address[10:], "invalid_character")
    assert "character 11" in refused.reason


def test_a_valid_address_on_another_chain_is_wrong_chain_and_says_where_it_is_valid() -> None:
    refused = assert_refused(oracle.base58check(0x41, H20), "wrong_chain", "ethereum")
    assert refused.valid_on == ("tron",)
    assert "tron" in refused.reason


def test_with_a_chain_the_refusal_is_that_chains_own() -> None:
    # a mistyped EVM address asked as ethereum: its checksum, not "unknown format"
    mistyped = oracle.eip55(H20).swapcase().replace("0X", "0x")
    assert_refused(mistyped, "mixed_case_checksum", "ethereum")


def test_a_mistyped_bitcoin_address_is_a_bad_checksum_not_a_short_solana_address() -> None:
    address = oracle.base58check(0x00, H20)
    assert_refused(address[:-1] + ("a" if address[-1] != "a" else "b"), "bad_checksum")


@pytest.mark.parametrize("value", ["", "   ", "\u200b", "x" * 129])
def test_empty_and_overlong_values_are_refused(value: str) -> None:
    assert_refused(value, "wrong_length" if value.startswith("x") else "unknown_format")


def test_an_unknown_chain_is_refused() -> None:
    assert_refused(oracle.base58check(0x41, H20), "unknown_format", "bitcoin-sv")  # type: ignore[arg-type]


def test_every_chain_has_a_valid_form_in_the_tables() -> None:
    from tests.backend.linkage.test_published_vectors import EIP55, SEGWIT_VALID

    covered = {chain for _, chain, _, _ in VALID} | {c for _, c, _ in SEGWIT_VALID}
    covered |= {normalize(EIP55[0])[0].chain}
    assert covered == set(CHAINS)
