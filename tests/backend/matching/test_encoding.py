"""Keyed Bloom filters: deterministic, key-bound, blind to name order; Dice's properties."""

from __future__ import annotations

import datetime as dt
import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.matching import NAME_BITS, dice, encode_person, score_pair
from backend.matching.normalise import HONORIFICS, TRAILING_TITLES

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
#: Name parts. Titles ("pak", "daw", "xiansheng") are dropped by position (a
#: leading honorific, a trailing title), so they are not name parts whose order
#: could be swapped; their own behaviour is tested below.
names = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10).filter(
        lambda t: t not in HONORIFICS and t not in TRAILING_TITLES
    ),
    min_size=1,
    max_size=4,
)
filters = st.integers(min_value=0, max_value=2**NAME_BITS - 1)


def _filter(name: str, key: bytes = KEY) -> int:
    return encode_person(key=key, record_id="x", name=name).name_filter


@settings(max_examples=50, deadline=None)
@given(names)
def test_same_input_same_filter(parts: list[str]) -> None:
    assert _filter(" ".join(parts)) == _filter(" ".join(parts))


@settings(max_examples=50, deadline=None)
@given(names)
def test_token_order_does_not_matter(parts: list[str]) -> None:
    assert _filter(" ".join(parts)) == _filter(" ".join(reversed(parts)))


@settings(max_examples=50, deadline=None)
@given(names)
def test_a_filter_under_one_key_does_not_match_the_name_under_another(parts: list[str]) -> None:
    name = " ".join(parts)
    if _filter(name) == 0:  # nothing name-like left after normalisation
        return
    assert dice(_filter(name), _filter(name, OTHER_KEY)) < 0.6


@settings(max_examples=100, deadline=None)
@given(filters, filters)
def test_dice_is_a_symmetric_similarity(a: int, b: int) -> None:
    assert 0.0 <= dice(a, b) <= 1.0
    assert dice(a, b) == dice(b, a)


@settings(max_examples=50, deadline=None)
@given(filters.filter(bool))
def test_dice_of_a_filter_with_itself_is_one(a: int) -> None:
    assert dice(a, a) == 1.0


def test_fields_are_keyed_tokens_not_values() -> None:
    a = encode_person(
        key=KEY, record_id="a", name="Kyaw", birth_year=1990, nationality="mm", sex="male"
    )
    b = encode_person(
        key=OTHER_KEY, record_id="b", name="Kyaw", birth_year=1990, nationality="MM", sex="male"
    )
    assert a.birth_year is not None and b"1990" not in a.birth_year
    assert a.birth_year != b.birth_year and a.nationality != b.nationality and a.sex != b.sex
    assert len(a.birth_year_window) == 3 and a.birth_year in a.birth_year_window
    assert a.birth_year_window < a.birth_year_block
    assert len(a.name_filter_bytes()) == NAME_BITS // 8


def test_a_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encode_person(key=os.urandom(16), record_id="a", name="Kyaw")


def test_a_title_is_dropped_only_where_a_title_stands() -> None:
    """ "pak" leading is Indonesian for "Mr"; as a later name part it is a name."""
    assert _filter("pak budi") == _filter("budi")
    assert _filter("budi pak") != _filter("budi")


def _pair(**fields: object) -> tuple[object, object]:
    left = {k: v[0] for k, v in fields.items()}  # type: ignore[index]
    right = {k: v[1] for k, v in fields.items()}  # type: ignore[index]
    return (
        encode_person(key=KEY, record_id="a", **left),  # type: ignore[arg-type]
        encode_person(key=KEY, record_id="b", **right),  # type: ignore[arg-type]
    )


def test_burmese_name_order_counts() -> None:
    a, b = _pair(name=("Kyaw Aung", "Aung Kyaw"), nationality=("MM", "MM"))
    assert dice(a.name_filter, b.name_filter) < 0.7  # type: ignore[attr-defined]
    a, b = _pair(name=("ကျော်အောင်", "Kyaw Aung"), nationality=(None, "MM"))
    assert dice(a.name_filter, b.name_filter) == 1.0  # type: ignore[attr-defined]
    a, b = _pair(name=("ကျော်အောင်", "ကျော် အောင်"), nationality=(None, None))
    assert dice(a.name_filter, b.name_filter) == 1.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("left", "right", "agreement"),
    [
        (dt.date(1999, 3, 14), dt.date(1999, 3, 14), "same"),
        (dt.date(1999, 3, 4), dt.date(1999, 4, 3), "swapped"),
        (dt.date(1999, 3, 14), dt.date(1999, 3, 15), "different"),
        (dt.date(1999, 3, 3), dt.date(1999, 3, 3), "same"),
        (dt.date(1999, 3, 14), None, "unknown"),
    ],
)
def test_day_and_month_compare_tolerating_a_swap(
    left: dt.date, right: dt.date | None, agreement: str
) -> None:
    a, b = _pair(name=("Thida Chan", "Thida Chan"), birth_date=(left, right))
    assert score_pair(a, b).birth_day == agreement  # type: ignore[arg-type]


def test_a_swapped_day_costs_little_and_a_different_day_much() -> None:
    def logit(born: dt.date) -> float:
        a, b = _pair(name=("Thida Chan",) * 2, birth_date=(dt.date(1999, 3, 4), born))
        p = score_pair(a, b, name_count=2).score  # type: ignore[arg-type]
        return math.log(p / (1 - p))

    same, swap, other = (
        logit(dt.date(1999, 3, 4)),
        logit(dt.date(1999, 4, 3)),
        logit(dt.date(1999, 3, 20)),
    )
    assert same - swap < 3 < same - other


def test_a_buddhist_era_year_is_the_common_era_one() -> None:
    a, b = _pair(name=("Somchai",) * 2, birth_date=(dt.date(2543, 5, 1), dt.date(2000, 5, 1)))
    assert score_pair(a, b).birth_year == "same"  # type: ignore[arg-type]
    a, b = _pair(name=("Somchai",) * 2, birth_year=(2543, 2000))
    assert score_pair(a, b).birth_year == "same"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("left", "right", "agreement"),
    [
        (["MA1234567"], ["ma 123-4567"], "same"),
        (["MA1234567"], ["MA1234667"], "near"),  # one slipped digit
        (["MA1234567"], ["MA124567"], "near"),  # one dropped
        (["MA1234567"], ["PB7654321"], "different"),
        (["MA1234567"], [], "unknown"),
    ],
)
def test_documents_compare_blind_tolerating_one_slip(
    left: list[str], right: list[str], agreement: str
) -> None:
    a, b = _pair(name=("Thida Chan",) * 2, documents=(left, right))
    assert score_pair(a, b).documents == agreement  # type: ignore[arg-type]


def test_phones_compare_on_their_last_digits() -> None:
    a, b = _pair(name=("Thida Chan",) * 2, contacts=(["+95 9 4501 2345"], ["09-4501-2345"]))
    assert score_pair(a, b).contacts == "same"  # type: ignore[arg-type]


def test_a_shared_document_carries_a_name_written_very_differently() -> None:
    a, b = _pair(
        name=("Nguyen Thi Mai", "Mai Nguyen"),
        birth_year=(1999, 2000),
        documents=(["C1234567"], ["C1234567"]),
    )
    assert score_pair(a, b).score >= 0.6  # type: ignore[arg-type]


def test_identifiers_and_dates_are_keyed_never_in_clear() -> None:
    a, b = _pair(
        name=("Thida",) * 2,
        birth_date=(dt.date(1999, 3, 4),) * 2,
        documents=(["MA1234567"],) * 2,
        contacts=(["+95 9 4501 2345"],) * 2,
    )
    other = encode_person(
        key=OTHER_KEY,
        record_id="c",
        name="Thida",
        birth_date=dt.date(1999, 3, 4),
        documents=["MA1234567"],
        contacts=["+95 9 4501 2345"],
    )
    tokens = [a.birth_day, *a.documents_near, *a.contacts_near]  # type: ignore[attr-defined]
    assert all(t is not None and b"1234" not in t and b"0304" not in t for t in tokens)
    assert not a.documents & other.documents and a.birth_day != other.birth_day  # type: ignore[attr-defined]
    assert not a.contacts_near & other.contacts_near  # type: ignore[attr-defined]
    assert score_pair(a, b).documents == "same"  # type: ignore[arg-type]
