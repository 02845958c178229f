"""What matching reads of a case's values: a full date, a year alone, an estimate, identifiers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.duplicates.encodings import person_of

RECORDED = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
NAME = {"given_names": "Zomchai", "family_name": "Fakewattana"}


@pytest.mark.parametrize(
    ("extra", "born", "year"),
    [
        ({"date_of_birth": "1998-04-02"}, dt.date(1998, 4, 2), None),
        ({"date_of_birth": "2541-04-02"}, dt.date(2541, 4, 2), None),  # the encoder converts
        ({"date_of_birth": "1998"}, None, 1998),
        ({"date_of_birth": "not a date"}, None, None),
        ({"age_estimate": 27}, None, 1999),
        ({}, None, None),
    ],
)
def test_the_date_of_birth_is_read_whole_or_as_far_as_it_goes(
    extra: dict[str, Any], born: dt.date | None, year: int | None
) -> None:
    person = person_of({**NAME, **extra}, RECORDED)
    assert person is not None and (person.birth_date, person.birth_year) == (born, year)


def test_documents_and_contacts_are_read_as_their_numbers_and_values() -> None:
    person = person_of(
        {
            **NAME,
            "documents": [{"kind": "passport", "number": "ZZ0000001"}, {"kind": "visa"}],
            "contacts": [{"kind": "phone", "value": "+000 555 0101"}, "not a contact"],
        },
        RECORDED,
    )
    assert person is not None
    assert (person.documents, person.contacts) == (("ZZ0000001",), ("+000 555 0101",))


def test_a_case_without_a_name_is_not_a_person_to_match() -> None:
    assert person_of({"given_names": " ", "date_of_birth": "1998-04-02"}, RECORDED) is None
