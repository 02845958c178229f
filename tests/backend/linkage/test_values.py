"""Transaction ids, amounts, approximate dates and partial addresses."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal

import pytest

from backend.linkage.addresses import InvalidValue
from backend.linkage.addresses.amounts import Amount, Asset
from backend.linkage.addresses.dates import ApproximateDate
from backend.linkage.addresses.partials import PartialAddress
from backend.linkage.addresses.txids import normalize_txid
from tests.backend.linkage import oracle

HASH = bytes(range(200, 232))
SIGNATURE = bytes(range(1, 65))
TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("txid", "chain", "canonical"),
    [
        (HASH.hex().upper(), "bitcoin", HASH.hex()),
        (f" {HASH.hex()}\u200b", "litecoin", HASH.hex()),
        (HASH.hex(), "dogecoin", HASH.hex()),
        (HASH.hex(), "bitcoin-cash", HASH.hex()),
        ("0X" + HASH.hex().upper(), "ethereum", "0x" + HASH.hex()),
        (HASH.hex(), "tron", HASH.hex()),
        (HASH.hex().upper(), "xrp", HASH.hex()),
        (HASH.hex(), "monero", HASH.hex()),
        (oracle.plain_base58(SIGNATURE), "solana", oracle.plain_base58(SIGNATURE)),
        (HASH.hex(), "ton", HASH.hex()),
        (base64.b64encode(HASH).decode(), "ton", HASH.hex()),
        (base64.urlsafe_b64encode(HASH).decode().rstrip("="), "ton", HASH.hex()),
    ],
)
def test_transaction_ids_have_one_canonical_spelling(txid: str, chain: str, canonical: str) -> None:
    assert normalize_txid(txid, chain) == canonical  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("txid", "chain", "code"),
    [
        (HASH.hex()[:-1], "bitcoin", "wrong_length"),
        (HASH.hex()[:-1] + "g", "bitcoin", "invalid_character"),
        ("0x" + HASH.hex(), "bitcoin", "invalid_character"),
        (HASH.hex(), "ethereum", "unknown_format"),
        ("0x" + HASH.hex() + "00", "ethereum", "wrong_length"),
        (oracle.plain_base58(SIGNATURE[:32]), "solana", "wrong_length"),
        (oracle.plain_base58(SIGNATURE)[:-1] + "0", "solana", "invalid_character"),
        (HASH.hex(), "solana", "unknown_format"),
        (base64.b64encode(HASH[:31]).decode(), "ton", "wrong_length"),
        (HASH.hex()[:10] + " " + HASH.hex()[11:], "tron", "invalid_character"),
        ("", "monero", "unknown_format"),
        (HASH.hex(), "bitcoin-sv", "unknown_format"),
    ],
)
def test_invalid_transaction_ids(txid: str, chain: str, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        normalize_txid(txid, chain)  # type: ignore[arg-type]
    assert refused.value.code == code, refused.value.reason


# --- amounts -----------------------------------------------------------------------

TRON_USDT = Asset(chain="tron", symbol="usdt", contract=oracle.base58check(0x41, bytes(20)))


def test_the_same_token_on_two_chains_is_two_assets() -> None:
    assert Asset(chain="tron", symbol="USDT") != Asset(chain="ethereum", symbol="USDT")
    assert Asset(chain="tron", symbol=" usdt ") == Asset(chain="tron", symbol="USDT")


def test_a_contract_is_part_of_the_identity_and_is_canonical() -> None:
    lower = Asset(chain="ethereum", symbol="USDT", contract="0x" + "ab" * 20)
    assert lower.contract == oracle.eip55(bytes.fromhex("ab" * 20))
    assert lower != Asset(chain="ethereum", symbol="USDT")


def test_a_contract_not_on_the_chain_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        Asset(chain="ethereum", symbol="USDT", contract=TRON_USDT.contract)
    assert refused.value.code == "wrong_chain"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1250.50", Decimal("1250.50")),
        ("0.000000000000000001", Decimal("1e-18")),
        (" 7 ", Decimal(7)),
    ],
)
def test_amounts_are_exact(text: str, value: Decimal) -> None:
    amount = Amount.parse(text, asset=TRON_USDT)
    assert amount.value == value and amount.asset is TRON_USDT


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5", "negative"),
        ("NaN", "not_a_number"),
        ("inf", "not_a_number"),
        ("1e5", "not_a_number"),
        ("1,000", "not_a_number"),
        ("", "not_a_number"),
        ("1." + "1" * 19, "too_many_digits"),
        ("9" * 25, "too_many_digits"),
        (0.1, "not_a_number"),  # a float has already lost digits
    ],
)
def test_amounts_that_cannot_be_recorded_exactly_are_refused(text: str, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Amount.parse(text, asset=TRON_USDT)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("NaN"), "not_a_number"),
        (Decimal("-1"), "negative"),
        (Decimal("1e-19"), "too_many_digits"),
    ],
)
def test_an_amount_built_directly_is_checked_too(value: Decimal, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Amount(asset=TRON_USDT, value=value)
    assert refused.value.code == code


# --- approximate dates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "spelled"),
    [
        ("2026-03-01", dt.date(2026, 3, 1), dt.date(2026, 3, 1), "2026-03-01"),
        ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28), "2026-02"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
        (
            "2026-01-03/2026-01-10",
            dt.date(2026, 1, 3),
            dt.date(2026, 1, 10),
            "2026-01-03/2026-01-10",
        ),
        ("2026-03", dt.date(2026, 3, 1), dt.date(2026, 3, 11), "2026-03-01/2026-03-11"),
        ("2026-03-11", dt.date(2026, 3, 11), dt.date(2026, 3, 11), "2026-03-11"),  # a day of grace
    ],
)
def test_dates_a_victim_remembers(text: str, start: dt.date, end: dt.date, spelled: str) -> None:
    date = ApproximateDate.parse(text, today=TODAY)
    assert (date.start, date.end, str(date)) == (start, end, spelled)
    assert date.is_exact == (start == end)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-01-10/2026-01-03", "end_before_start"),
        ("2026-03-12", "in_the_future"),
        ("2026-04", "in_the_future"),
        ("2026-02-01/2026-03-20", "in_the_future"),
        ("2026-13", "malformed"),
        ("2026-02-30", "malformed"),
        ("last spring", "malformed"),
    ],
)
def test_dates_that_cannot_be_right(text: str, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        ApproximateDate.parse(text, today=TODAY)
    assert refused.value.code == code


# --- partial addresses --------------------------------------------------------------

TRON = oracle.base58check(0x41, bytes(range(40, 60)))
EVM = oracle.eip55(bytes(range(60, 80)))
TON_ACCOUNT = bytes(range(80, 112))


def test_a_tron_partial_matches_its_address_and_not_another() -> None:
    partial = PartialAddress(chain="tron", prefix=TRON[:4], suffix=TRON[-3:])
    assert partial.matches(TRON)
    assert not partial.matches(oracle.base58check(0x41, bytes(range(41, 61))))
    assert not PartialAddress(
        chain="tron", prefix="T" + TRON[1:4].swapcase(), suffix=TRON[-3:]
    ).matches(TRON)


def test_an_evm_partial_matches_whatever_the_case() -> None:
    partial = PartialAddress(
        chain="ethereum", prefix=EVM[:6].upper().replace("0X", "0x"), suffix=EVM[-4:].lower()
    )
    assert partial.prefix == EVM[:6].lower()
    assert partial.matches(EVM) and partial.matches(EVM.lower())


def test_a_ton_partial_matches_the_spellings_wallets_show() -> None:
    bounceable = oracle.ton(0, TON_ACCOUNT, flag=0x11)
    non_bounceable = oracle.ton(0, TON_ACCOUNT, flag=0x51)
    raw = f"0:{TON_ACCOUNT.hex()}"
    assert PartialAddress(
        chain="ton", prefix=non_bounceable[:6], suffix=non_bounceable[-4:]
    ).matches(raw)
    assert PartialAddress(chain="ton", prefix=bounceable[:6], suffix=bounceable[-4:]).matches(raw)


def test_a_bitcoin_cash_partial_matches_with_or_without_the_prefix_and_the_legacy_form() -> None:
    digest = bytes(range(20))
    cashaddr, legacy = oracle.cashaddr(0, digest), oracle.base58check(0x00, digest)
    payload = cashaddr.partition(":")[2]
    assert PartialAddress(chain="bitcoin-cash", prefix=payload[:6], suffix=payload[-4:]).matches(
        legacy
    )
    assert PartialAddress(chain="bitcoin-cash", prefix=legacy[:6], suffix=legacy[-4:]).matches(
        cashaddr
    )


def test_a_partial_matches_no_invalid_address() -> None:
    assert not PartialAddress(chain="tron", prefix=TRON[:4], suffix=TRON[-3:]).matches(
        "T" + TRON[1:-1] + "x"
    )


@pytest.mark.parametrize(
    ("chain", "prefix", "suffix", "code"),
    [
        ("tron", "TX7a", "9k", "too_few_characters"),  # 3 + 2 beyond the T
        ("ethereum", "0x7a", "9f", "too_few_characters"),
        ("tron", "TX0a", "9kP", "invalid_character"),  # 0 is not base58
        ("ethereum", "0x7g", "9f9f9f", "invalid_character"),
        ("tron", "AX7a", "9kP", "unknown_format"),  # Tron addresses start with T
        ("tron", "TX\u200b7a", "9kP", "invalid_character"),
        ("bitcoin-sv", "1abc", "defg", "unknown_format"),
    ],
)
def test_partials_that_would_match_a_crowd_or_nothing(
    chain: str, prefix: str, suffix: str, code: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        PartialAddress(chain=chain, prefix=prefix, suffix=suffix)  # type: ignore[arg-type]
    assert refused.value.code == code, refused.value.reason


def test_the_example_from_the_issue_is_enough() -> None:
    partial = PartialAddress(chain="tron", prefix=" TX7a", suffix="9kP ")
    assert (partial.prefix, partial.suffix) == ("TX7a", "9kP")
