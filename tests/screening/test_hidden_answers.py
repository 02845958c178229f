"""Issue 11 item 13: a stale answer to an item that another answer hides.

It must never fail the assessment (that would stop a screening from syncing):
it is ignored in scoring, listed in ``ignored_hidden_answers``, and the
answers given stay as they were sent. Engine 1.0.0 rejected these with
``hidden_by_condition`` (a 422).
"""

from __future__ import annotations

from typing import Any

import pytest

from screening import Answer, effective_answers, validate_answers
from tests.screening.support import answers, builtin, run, skip

STALE: list[tuple[dict[str, Any], tuple[str, ...], str | None]] = [
    # (answers, ignored ids, an indicator the stale answer must not give)
    ({"job_promised": "it"}, ("job_promised",), "sc_deceptive_job_offer"),
    (
        {"promised_other_job": "no", "job_promised": "sales"},
        ("job_promised",),
        "sc_deceptive_job_offer",
    ),
    ({"job_promised": skip("prefer_not_to_say")}, ("job_promised",), None),
    ({"date_of_birth": "1990-01-01", "age_years": 15}, ("age_years",), "profile_child"),
    # An answer hidden by a stale answer is stale too (judged in question order).
    (
        {"told_you_owed": "no", "money_paid": "yes", "payment_method": ["crypto"]},
        ("money_paid", "payment_method"),
        "ilo_debt_bondage",
    ),
]


@pytest.mark.parametrize(("values", "ignored", "absent"), STALE)
def test_stale_answers_are_ignored_and_reported_not_rejected(
    values: dict[str, Any], ignored: tuple[str, ...], absent: str | None
) -> None:
    validate_answers(builtin(), answers(values))
    result = run(values)
    assert result.ignored_hidden_answers == ignored
    if absent is not None:
        assert absent not in result.indicator_codes()


def test_a_stale_answer_does_not_count_as_answered_and_is_kept() -> None:
    given = answers({"promised_other_job": "no", "job_promised": "it"})
    sent = dict(given)
    result = run({"promised_other_job": "no", "job_promised": "it"})
    assert result.answered == 1
    assert given == sent
    counted, ignored = effective_answers(builtin(), given)
    assert set(counted) == {"promised_other_job"} and ignored == ("job_promised",)


def test_not_asked_for_a_hidden_item_is_simply_correct() -> None:
    result = run({"job_promised": Answer(skipped="not_asked")})
    assert result.ignored_hidden_answers == ()


def test_an_invalid_value_in_a_stale_answer_is_not_an_error() -> None:
    # The answer does not count, so it is not checked: sync must not fail on it.
    assert run({"job_promised": "no_such_option"}).ignored_hidden_answers == ("job_promised",)
