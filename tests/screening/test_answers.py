"""Answer decoding and validation: every error code, and all errors at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
import pytest

from screening import (
    Answer,
    AnswerValidationError,
    MissingReferenceDateError,
    assess,
    decode_answers,
    validate_answers,
)
from tests.screening.support import AS_OF, answers, builtin, decoded, minimal, skip


def _errors(values: dict[str, Any], *, as_of: date | None = None) -> list[tuple[str, str]]:
    with pytest.raises(AnswerValidationError) as info:
        validate_answers(builtin(), answers(values), as_of=as_of)
    return [(e.item_id, e.code) for e in info.value.errors]


@pytest.mark.parametrize(
    ("values", "item_id", "code"),
    [
        ({"favourite_colour": "blue"}, "favourite_colour", "unknown_item"),
        ({"safe_now": True}, "safe_now", "wrong_type"),
        ({"safe_now": "maybe"}, "safe_now", "option_not_offered"),
        ({"how_recruited": ["online_ad"]}, "how_recruited", "wrong_type"),
        ({"how_recruited": "carrier_pigeon"}, "how_recruited", "option_not_offered"),
        ({"things_taken": "passport"}, "things_taken", "wrong_type"),
        ({"things_taken": ["passport", "spaceship"]}, "things_taken", "option_not_offered"),
        ({"things_taken": ["passport", "passport"]}, "things_taken", "duplicate_option"),
        ({"age_years": "16"}, "age_years", "wrong_type"),
        ({"age_years": True}, "age_years", "wrong_type"),
        ({"age_years": 16.5}, "age_years", "wrong_type"),
        ({"age_years": 130}, "age_years", "out_of_range"),
        ({"hours_per_day": -1}, "hours_per_day", "out_of_range"),
        ({"hours_per_day": 24.5}, "hours_per_day", "out_of_range"),
        ({"hours_per_day": float("nan")}, "hours_per_day", "out_of_range"),
        ({"age_years": 10**400}, "age_years", "out_of_range"),
        ({"days_off": -(10**400)}, "days_off", "out_of_range"),
        ({"hours_per_day": 10**400}, "hours_per_day", "out_of_range"),
        ({"age_years": 10**5000}, "age_years", "out_of_range"),
        ({"date_of_birth": 20090615}, "date_of_birth", "wrong_type"),
        ({"date_of_birth": "15/06/2009"}, "date_of_birth", "invalid_date"),
        ({"date_of_birth": "2009-13"}, "date_of_birth", "invalid_date"),
        ({"date_of_birth": "2009-02-30"}, "date_of_birth", "invalid_date"),
        ({"wallets_remembered": 5}, "wallets_remembered", "wrong_type"),
        ({"wallets_remembered": "x" * 2001}, "wallets_remembered", "too_long"),
        ({"wallets_remembered": "   "}, "wallets_remembered", "empty_value"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_invalid_answer_is_reported_with_its_code(
    values: dict[str, Any], item_id: str, code: str
) -> None:
    assert (item_id, code) in _errors(values)


def test_date_after_the_screening_date_is_invalid() -> None:
    assert _errors({"date_of_birth": "2025-03-02"}, as_of=AS_OF) == [
        ("date_of_birth", "invalid_date")
    ]


def test_partial_date_is_invalid_where_the_item_needs_a_full_date() -> None:
    instrument = decoded(minimal())
    with pytest.raises(AnswerValidationError) as info:
        validate_answers(instrument, answers({"arrived_on": "2024-05"}))
    assert [e.code for e in info.value.errors] == ["invalid_date"]


@pytest.mark.parametrize(
    "values",
    [
        {"job_promised": skip("not_asked")},
        {"promised_other_job": "yes", "job_promised": "it"},
        {"things_taken": []},
        {"date_of_birth": "2007"},
        {"date_of_birth": "2007-05"},
        {"hours_per_day": 11.5},
        {"age_years": 17.0},
        {"wallets_remembered": "x" * 2000},
        {"safe_now": skip("dont_know"), "hurt_now": skip("prefer_not_to_say")},
    ],
)
def test_valid_answers_pass(values: dict[str, Any]) -> None:
    validate_answers(builtin(), answers(values))


def test_every_error_is_reported_in_question_order_then_unknown_ids() -> None:
    assert _errors(
        {"zzz": "x", "aaa": "x", "days_off": 99, "safe_now": "perhaps", "job_promised": "it"}
    ) == [
        ("safe_now", "option_not_offered"),
        ("days_off", "out_of_range"),
        ("aaa", "unknown_item"),
        ("zzz", "unknown_item"),
    ]


def test_assess_rejects_invalid_answers() -> None:
    with pytest.raises(AnswerValidationError):
        assess(builtin(), answers({"safe_now": "perhaps"}), as_of=AS_OF)


def test_assess_needs_a_date_to_read_a_date_of_birth() -> None:
    with pytest.raises(MissingReferenceDateError):
        assess(builtin(), answers({"date_of_birth": "2009-06-15"}), as_of=None)


def test_assess_needs_no_date_without_a_date_of_birth() -> None:
    assert assess(builtin(), answers({"age_years": 16}), as_of=None).has_flag("child")


# --- decoding ---------------------------------------------------------------


def test_decode_answers_reads_the_json_contract() -> None:
    raw = b'{"safe_now": {"value": "no"}, "hurt_now": {"skipped": "prefer_not_to_say"}}'
    assert decode_answers(raw) == {
        "safe_now": Answer(value="no"),
        "hurt_now": Answer(skipped="prefer_not_to_say"),
    }


def test_answers_encode_back_to_the_json_contract() -> None:
    encoded = msgspec.json.decode(
        msgspec.json.encode({"a": Answer(value=["x"]), "b": Answer(skipped="not_asked")})
    )
    assert encoded == {"a": {"value": ["x"]}, "b": {"skipped": "not_asked"}}


def test_decode_answers_accepts_a_parsed_mapping() -> None:
    assert decode_answers({"safe_now": {"value": "yes"}}) == {"safe_now": Answer(value="yes")}


@pytest.mark.parametrize(
    "raw",
    [
        {"safe_now": {}},
        {"safe_now": {"value": "yes", "skipped": "dont_know"}},
        {"safe_now": {"skipped": "maybe"}},
        {"safe_now": {"value": "yes", "note": "extra"}},
        {"safe_now": "yes"},
    ],
    ids=["empty", "both", "unknown_skip", "unknown_field", "bare_value"],
)
def test_decode_answers_rejects_malformed_answer_objects(raw: dict[str, Any]) -> None:
    with pytest.raises(AnswerValidationError) as info:
        decode_answers(raw)
    assert [(e.item_id, e.code) for e in info.value.errors] == [("safe_now", "malformed_answer")]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"'])
def test_decode_answers_rejects_a_malformed_document(raw: bytes) -> None:
    with pytest.raises(AnswerValidationError) as info:
        decode_answers(raw)
    assert [(e.item_id, e.code) for e in info.value.errors] == [("$", "malformed_answer")]


def test_decode_answers_reports_every_malformed_answer() -> None:
    with pytest.raises(AnswerValidationError) as info:
        decode_answers({"a": {}, "b": {"value": 1}, "c": {"skipped": "nope"}})
    assert [e.item_id for e in info.value.errors] == ["a", "c"]


def test_answer_needs_exactly_one_of_value_or_skipped() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Answer()
