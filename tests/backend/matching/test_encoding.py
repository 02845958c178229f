"""Keyed Bloom filters: deterministic, key-bound, blind to name order; Dice's properties."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.matching import NAME_BITS, dice, encode_person
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
    assert len(a.name_filter_bytes()) == NAME_BITS // 8


def test_a_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encode_person(key=os.urandom(16), record_id="a", name="Kyaw")


def test_a_title_is_dropped_only_where_a_title_stands() -> None:
    """ "pak" leading is Indonesian for "Mr"; as a later name part it is a name."""
    assert _filter("pak budi") == _filter("budi")
    assert _filter("budi pak") != _filter("budi")
