"""Answers the person was promised would not be used against them.

Two questions tell the person "Your answer will not be used against you"
(``secret_crossing``, ``afraid_of_arrest``); the definition marks such items
``protected``. Their answers count for the person's own assessment, which the
coordinator sees, but nothing that leaves the coordinator's view may rest on
them: not what investigators see, not an export, not a published summary, not
a referral package. Every such exit asks :func:`shareable_assessment` (or
the registry's :meth:`~screening.InstrumentRegistry.protected_items`) instead
of reading the full assessment: the one rule, in one place.

The shareable assessment is the assessment of the answers with the protected
ones left out, as if those questions had not been asked. The engine is
monotone, so it never finds more than the full one; it finds less exactly
when a finding rested on a protected answer.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from screening.answers import Answer, Answers
from screening.assessment import Assessment, assess
from screening.model import Instrument

__all__ = ["shareable_answers", "shareable_assessment"]


def shareable_answers(answers: Answers, protected: Collection[str]) -> dict[str, Answer]:
    """The answers without those to protected items."""
    return {item_id: a for item_id, a in answers.items() if item_id not in protected}


def shareable_assessment(
    instrument: Instrument,
    answers: Answers,
    *,
    as_of: date | None,
    protected: Collection[str],
) -> Assessment:
    """What may leave the coordinator's view: the assessment without protected answers.

    Args:
        instrument: The instrument version the answers were given to.
        answers: All the answers, as stored.
        as_of: The screening date (see :func:`screening.assess`).
        protected: Protected item ids, usually ``registry.protected_items(key)``.

    Raises:
        AnswerValidationError, MissingReferenceDateError: as :func:`screening.assess`.
    """
    return assess(instrument, shareable_answers(answers, protected), as_of=as_of)
