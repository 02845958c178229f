"""The published test vectors of BIP-173, BIP-350, EIP-55 and the cashaddr specification.

Codec-level vectors (any bech32 string) pin the library we rely on; address
vectors go through ``normalize`` and pin our rules on top of it.
"""

from __future__ import annotations

import pytest
from base58_bech32.bech32 import BECH32_1_CONST, BECH32_M_CONST, bech32_decode
from base58_bech32.cashaddr import cashaddr_decode
from base58_bech32.exceptions import Base58Bech32ValueError

from backend.linkage.addresses import AddressError, normalize
from tests.backend.linkage.support import assert_refused

# --- BIP-173 and BIP-350: bech32 and bech32m strings -------------------------

BECH32_VALID = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]
BECH32M_VALID = [
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
]
BECH32_INVALID = [
    "\x201nwldj5",  # HRP character out of range
    "\x7f1axkwrx",
    "\x801eym55h",
    "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
    "pzry9x0s0muk",  # no separator
    "1pzry9x0s0muk",  # empty HRP
    "x1b4n0q5v",  # invalid data character
    "li1dgmt3",  # too short checksum
    "de1lg7wt\xff",  # invalid character in checksum
    "A1G7SGD8",  # checksum calculated with uppercase HRP
    "10a06t8",
    "1qzzfhee",
]
BECH32M_INVALID = [
    "\x201xj0phk",
    "\x7f1g6xzxy",
    "\x801vctc34",
    "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
    "qyrz8wqd2c9m",
    "1qyrz8wqd2c9m",
    "y1b0jsk6g",
    "lt1igcx5c0",
    "in1muywd",
    "mm1crxm3i",
    "au1s5cgom",
    "M1VUXWEZ",
    "16plkw9",
    "1p2gdwpf",
]


@pytest.mark.parametrize(
    ("text", "constant"),
    [(t, BECH32_1_CONST) for t in BECH32_VALID] + [(t, BECH32_M_CONST) for t in BECH32M_VALID],
)
def test_the_library_accepts_each_valid_string_with_its_own_constant_only(
    text: str, constant: int
) -> None:
    assert bech32_decode(text, limit=90)[2] == constant
    other = BECH32_M_CONST if constant == BECH32_1_CONST else BECH32_1_CONST
    with pytest.raises(Base58Bech32ValueError):
        bech32_decode(text, m=other, limit=90)


@pytest.mark.parametrize("text", BECH32_INVALID + BECH32M_INVALID)
def test_the_library_refuses_each_invalid_string(text: str) -> None:
    with pytest.raises(Base58Bech32ValueError):
        bech32_decode(text, limit=90)


@pytest.mark.parametrize("text", BECH32_INVALID + BECH32M_INVALID)
def test_no_invalid_bech32_string_is_an_address(text: str) -> None:
    with pytest.raises(AddressError):
        normalize(text)


# --- segwit addresses ------------------------------------------------------------

SEGWIT_VALID = [  # BIP-350's list (address, chain, kind)
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bitcoin", "p2wpkh"),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "bitcoin-testnet",
        "p2wsh",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "bitcoin",
        "witness_unknown",
    ),
    ("BC1SW50QGDZ25J", "bitcoin", "witness_unknown"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bitcoin", "witness_unknown"),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "bitcoin-testnet",
        "p2wsh",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "bitcoin-testnet",
        "p2tr",
    ),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bitcoin", "p2tr"),
]


@pytest.mark.parametrize(("address", "chain", "kind"), SEGWIT_VALID)
def test_bip350_valid_segwit_addresses_normalise_to_lower_case(
    address: str, chain: str, kind: str
) -> None:
    (candidate,) = normalize(address)
    assert (candidate.chain, candidate.kind) == (chain, kind)
    assert candidate.canonical == address.lower()


SEGWIT_INVALID = [  # BIP-350's list, with the code our reason carries
    ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", "unknown_format"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "bad_checksum"),
    ("tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", "bad_checksum"),
    ("BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "bad_checksum"),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "bad_checksum"),
    ("tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", "bad_checksum"),
    ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "invalid_character"),
    ("BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "malformed"),
    ("bc1pw5dgrnzv", "wrong_length"),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
        "wrong_length",
    ),
    ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "wrong_length"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixed_case"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "malformed"),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "malformed"),
    ("bc1gmk9yu", "malformed"),
]


@pytest.mark.parametrize(("address", "code"), SEGWIT_INVALID)
def test_bip350_invalid_segwit_addresses_are_refused_with_their_reason(
    address: str, code: str
) -> None:
    assert_refused(address, code)


@pytest.mark.parametrize(
    "address",
    [
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
    ],
)
def test_bip173_valid_version_0_addresses_stay_valid(address: str) -> None:
    assert normalize(address)[0].canonical == address.lower()


@pytest.mark.parametrize(
    ("address", "code"),
    [
        # BIP-173's valid v1+ addresses carry bech32 checksums: BIP-350 refuses them
        (
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
            "bad_checksum",
        ),
        ("BC1SW50QA3JX3S", "bad_checksum"),
        ("bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj", "bad_checksum"),
        # BIP-173's invalid list
        ("tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", "unknown_format"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "bad_checksum"),
        ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", "malformed"),
        ("bc1rw5uspcuh", "bad_checksum"),  # also too short a program; the checksum fails first
        (
            "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
            "bad_checksum",
        ),
        ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "wrong_length"),
        ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", "mixed_case"),
        ("bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", "bad_checksum"),
        ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", "malformed"),
        ("bc1gmk9yu", "malformed"),
    ],
)
def test_bip173_vectors_under_bip350_rules(address: str, code: str) -> None:
    assert_refused(address, code)


# --- EIP-55 ------------------------------------------------------------------------

EIP55 = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55)
def test_eip55_examples_are_their_own_canonical_form(address: str) -> None:
    assert normalize(address) == normalize(address.lower())
    assert normalize(address)[0].canonical == address


@pytest.mark.parametrize("address", EIP55[4:])
def test_eip55_examples_with_one_letter_case_flipped_fail_the_checksum(address: str) -> None:
    at = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    flipped = address[:at] + address[at].swapcase() + address[at + 1 :]
    with pytest.raises(AddressError) as refused:
        normalize(flipped)
    assert refused.value.code == "mixed_case_checksum"


# --- cashaddr ----------------------------------------------------------------------

CASHADDR_LEGACY = [
    (
        "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu",
        "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
    ),
    (
        "1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR",
        "bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy",
    ),
    ("16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb", "bitcoincash:qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r"),
    (
        "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC",
        "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq",
    ),
    (
        "3LDsS579y7sruadqu11beEJoTjdFiFCdX4",
        "bitcoincash:pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e",
    ),
    (
        "31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw",
        "bitcoincash:pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37",
    ),
]


@pytest.mark.parametrize(("legacy", "cashaddr"), CASHADDR_LEGACY)
def test_cashaddr_spec_pairs_are_one_address_on_bitcoin_cash(legacy: str, cashaddr: str) -> None:
    from_legacy = normalize(legacy, "bitcoin-cash")
    assert from_legacy == normalize(cashaddr, "bitcoin-cash")
    assert from_legacy == normalize(cashaddr.partition(":")[2].upper(), "bitcoin-cash")
    assert from_legacy[0].canonical == cashaddr and from_legacy[0].legacy == legacy
    assert "bitcoin" in {c.chain for c in normalize(legacy)}  # and still a Bitcoin address


CASHADDR_LARGER = [  # (size, type, address, hex) from the specification's larger vectors
    (
        20,
        0,
        "bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2",
        "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9",
    ),
    (
        20,
        1,
        "bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t",
        "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9",
    ),
    (
        20,
        1,
        "pref:pr6m7j9njldwwzlg9v7v53unlr4jkmx6ey65nvtks5",
        "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9",
    ),
    (
        24,
        0,
        "bitcoincash:q9adhakpwzztepkpwp5z0dq62m6u5v5xtyj7j3h2ws4mr9g0",
        "7ADBF6C17084BC86C1706827B41A56F5CA32865925E946EA",
    ),
    (
        28,
        1,
        "pref:pgagf7w02x4wnz3mkwnchut2vxphjzccwxgjvvjmlsxqwkcrsr6gzkn",
        "3A84F9CF51AAE98A3BB3A78BF16A6183790B18719126325BFC0C075B",
    ),
    (
        32,
        0,
        "bitcoincash:qvch8mmxy0rtfrlarg7ucrxxfzds5pamg73h7370aa87d80gyhqxq5nlegake",
        "3173EF6623C6B48FFD1A3DCC0CC6489B0A07BB47A37F47CFEF4FE69DE825C060",
    ),
    (
        32,
        1,
        "bchtest:pvch8mmxy0rtfrlarg7ucrxxfzds5pamg73h7370aa87d80gyhqxq7fqng6m6",
        "3173EF6623C6B48FFD1A3DCC0CC6489B0A07BB47A37F47CFEF4FE69DE825C060",
    ),
    (
        40,
        1,
        "pref:pnq8zwpj8cq05n7pytfmskuk9r4gzzel8qtsvwz79zdskftrzxtar994cgutavfklv0vx5z0w3",
        "C07138323E00FA4FC122D3B85B9628EA810B3F381706385E289B0B25631197D194B5C238BEB136FB",
    ),
    (
        64,
        0,
        "bitcoincash:qlg0x333p4238k0qrc5ej7rzfw5g8e4a4r6vvzyrcy8j3s5k0en7calvclhw46hudk5flttj6ydvjc0pv3nchp52amk97tqa5zygg96mtky5sv5w",
        "D0F346310D5513D9E01E299978624BA883E6BDA8F4C60883C10F28C2967E67EC77ECC7EEEAEAFC6DA89FAD72D11AC961E164678B868AEEEC5F2C1DA08884175B",
    ),
]


@pytest.mark.parametrize(("size", "kind", "address", "data"), CASHADDR_LARGER)
def test_the_library_decodes_the_cashaddr_spec_vectors(
    size: int, kind: int, address: str, data: str
) -> None:
    prefix, decoded_kind, digest = cashaddr_decode(address)
    assert (prefix, decoded_kind, digest) == (address.partition(":")[0], kind, bytes.fromhex(data))
    assert len(digest) == size


def test_a_spec_p2pkh_vector_is_a_bitcoin_cash_address() -> None:
    (candidate,) = normalize("bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2")
    assert (candidate.chain, candidate.kind) == ("bitcoin-cash", "p2pkh")


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t", "wrong_chain"),
        ("bitcoincash:q9adhakpwzztepkpwp5z0dq62m6u5v5xtyj7j3h2ws4mr9g0", "wrong_length"),
        (
            "bitcoincash:qvch8mmxy0rtfrlarg7ucrxxfzds5pamg73h7370aa87d80gyhqxq5nlegake",
            "unknown_format",
        ),
        ("bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg3", "bad_checksum"),
        ("bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8EKG2", "mixed_case"),
    ],
)
def test_cashaddr_spec_vectors_that_are_no_bitcoin_cash_payment_address(
    address: str, code: str
) -> None:
    assert_refused(address, code)
