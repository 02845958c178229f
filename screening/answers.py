"""Answers to an instrument: their JSON form, decoding, and validation.

The JSON form is part of the API contract: a mapping ``item_id -> answer``,
where an answer is either ``{"value": <json value>}`` or
``{"skipped": "prefer_not_to_say" | "dont_know" | "not_asked"}``. An item absent
from the mapping was not asked. A skipped answer is never "no" and never
evidence either way.

Value shapes by item type: ``yes_no`` ``"yes"``/``"no"``; ``single_choice`` an
option value; ``multiple_choice`` a list of distinct option values (``[]`` for
"none of these"); ``number`` a JSON number within the item's range;
``date`` ``"YYYY-MM-DD"`` (or ``"YYYY-MM"`` / ``"YYYY"`` when the item allows
partial dates); ``free_text`` a non-blank string of at most ``max_length``
characters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

import msgspec

from screening._dates import age_on, date_bounds
from screening.errors import AnswerError, AnswerErrorCode, AnswerValidationError
from screening.model import Condition, Instrument, Item

__all__ = [
    "Answer",
    "Answers",
    "SkipKind",
    "condition_holds",
    "decode_answers",
    "effective_answers",
    "is_shown",
    "validate_answers",
]

SkipKind = Literal["prefer_not_to_say", "dont_know", "not_asked"]
"""Why an item has no value. None of these is ever read as "no"."""


class Answer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One answer: exactly one of ``value`` or ``skipped``.

    Examples:
        ``Answer(value="yes")``, ``Answer(value=["passport", "phone"])``,
        ``Answer(skipped="dont_know")``.
    """

    value: Any = msgspec.UNSET
    skipped: SkipKind | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if (self.value is msgspec.UNSET) == (self.skipped is msgspec.UNSET):
            raise ValueError('an answer has exactly one of "value" or "skipped"')

    @property
    def has_value(self) -> bool:
        """Whether the item was answered with a value (not skipped)."""
        return self.value is not msgspec.UNSET


Answers = Mapping[str, Answer]
"""Answers keyed by item id."""


def decode_answers(raw: bytes | str | Mapping[str, Any]) -> dict[str, Answer]:
    """Decode answers from their JSON form (or from an already parsed mapping).

    Args:
        raw: JSON bytes/text, or a mapping of item id to answer objects (dicts
            or :class:`Answer` instances).

    Returns:
        The answers keyed by item id. Values are not checked against an
        instrument: call :func:`validate_answers` for that.

    Raises:
        AnswerValidationError: The JSON is malformed or an answer object does
            not have exactly one of ``value`` / ``skipped``; every problem is listed.
    """
    data: Any = raw
    if isinstance(raw, bytes | str):
        try:
            data = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise AnswerValidationError(
                [AnswerError(item_id="$", code="malformed_answer", reason=str(exc))]
            ) from exc
    if not isinstance(data, Mapping):
        raise AnswerValidationError(
            [AnswerError(item_id="$", code="malformed_answer", reason="expected an object")]
        )
    answers: dict[str, Answer] = {}
    errors: list[AnswerError] = []
    for key, obj in data.items():
        if not isinstance(key, str):
            errors.append(
                AnswerError(item_id=repr(key), code="malformed_answer", reason="key not a string")
            )
            continue
        if isinstance(obj, Answer):
            answers[key] = obj
            continue
        try:
            answers[key] = msgspec.convert(obj, Answer)
        except msgspec.ValidationError as exc:
            errors.append(AnswerError(item_id=key, code="malformed_answer", reason=str(exc)))
    if errors:
        raise AnswerValidationError(errors)
    return answers


def condition_holds(condition: Condition, answers: Answers, as_of: date | None = None) -> bool:
    """Evaluate a ``show_if`` condition against answers.

    A skipped or absent answer never equals anything and counts as not answered.
    ``as_of`` (the screening date) is only used by ``age_below``; without it,
    an answered date of birth is presumed to make the person a child.
    """
    if condition.any_of:
        return any(condition_holds(c, answers, as_of) for c in condition.any_of)
    if condition.all_of:
        return all(condition_holds(c, answers, as_of) for c in condition.all_of)
    answer = answers.get(condition.item or "")
    has_value = answer is not None and answer.has_value
    if condition.answered is not None:
        return has_value is condition.answered
    if answer is None or not has_value:
        return False
    value = answer.value
    if condition.below is not None:
        return _is_number(value) and bool(value < condition.below)
    if condition.age_below is not None:
        return _may_be_younger(value, condition.age_below, as_of)
    if isinstance(value, list):
        return condition.equals in value
    return bool(value == condition.equals)


def _may_be_younger(value: Any, years: int, as_of: date | None) -> bool:
    """Whether a date of birth may make the person younger than ``years`` on ``as_of``."""
    if not isinstance(value, str):
        return False
    try:
        _, latest_birth, _ = date_bounds(value)
    except ValueError:
        return False
    return as_of is None or age_on(latest_birth, as_of) < years


def is_shown(item: Item, answers: Answers, as_of: date | None = None) -> bool:
    """Whether an item is shown (asked) given the answers so far and the screening date."""
    return item.show_if is None or condition_holds(item.show_if, answers, as_of)


def effective_answers(
    instrument: Instrument, answers: Answers, as_of: date | None = None
) -> tuple[dict[str, Answer], tuple[str, ...]]:
    """Split answers into those that count and stale answers to hidden items.

    Items are walked in question order and each is judged shown or hidden by
    the answers that count so far, so an answer to an item that a later
    answer hides (say the person first said they were promised a job, then
    changed that answer) does not count, and neither do answers that depend
    on it. ``{"skipped": "not_asked"}`` to a hidden item is simply correct.

    Args:
        instrument: The instrument version the answers were given to.
        answers: Answers keyed by item id.
        as_of: The screening date, for conditions on a date of birth.

    Returns:
        The answers that count, and the ids (in question order) of answers to
        hidden items other than ``not_asked``: these are ignored in scoring,
        reported, and stay stored as they were sent.
    """
    counted: dict[str, Answer] = {}
    ignored: list[str] = []
    for item in instrument.items:
        answer = answers.get(item.id)
        if answer is None:
            continue
        if is_shown(item, counted, as_of):
            counted[item.id] = answer
        elif answer.skipped != "not_asked":
            ignored.append(item.id)
    return counted, tuple(ignored)


def validate_answers(
    instrument: Instrument, answers: Answers, *, as_of: date | None = None
) -> None:
    """Check answers against an instrument.

    Args:
        instrument: The instrument version the answers were given to.
        answers: Answers keyed by item id (see :func:`decode_answers`).
        as_of: The screening date, if known: dates entirely after it are rejected.

    Answers to items hidden by the other answers are not errors (see
    :func:`effective_answers`): a stale answer must never stop a screening
    from syncing. They are not checked either, since they do not count.

    Raises:
        AnswerValidationError: Listing every error (in question order, then
            unknown ids), not just the first.
    """
    errors: list[AnswerError] = []
    counted, _ = effective_answers(instrument, answers, as_of)
    for item in instrument.items:
        answer = counted.get(item.id)
        if answer is None:
            continue
        if answer.has_value:
            problem = _check_value(item, answer.value, as_of)
            if problem is not None:
                errors.append(AnswerError(item_id=item.id, code=problem[0], reason=problem[1]))
    known = instrument.items_by_id
    errors.extend(
        AnswerError(item_id=key, code="unknown_item", reason="no such item in this instrument")
        for key in sorted(k for k in answers if k not in known)
    )
    if errors:
        raise AnswerValidationError(errors)


def _check_value(item: Item, value: Any, as_of: date | None) -> tuple[AnswerErrorCode, str] | None:
    match item.type:
        case "yes_no":
            if not isinstance(value, str):
                return "wrong_type", 'expected "yes" or "no"'
            if value not in ("yes", "no"):
                return "option_not_offered", f'{value!r} is not "yes" or "no"'
        case "single_choice":
            if not isinstance(value, str):
                return "wrong_type", "expected one option value (a string)"
            if value not in {o.value for o in item.options}:
                return "option_not_offered", f"{value!r} is not an option of this item"
        case "multiple_choice":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return "wrong_type", "expected a list of option values"
            offered = {o.value for o in item.options}
            for v in value:
                if v not in offered:
                    return "option_not_offered", f"{v!r} is not an option of this item"
            if len(set(value)) != len(value):
                return "duplicate_option", "an option is listed more than once"
        case "number":
            return _check_number(item, value)
        case "date":
            return _check_date(item, value, as_of)
        case "free_text":
            if not isinstance(value, str):
                return "wrong_type", "expected text"
            if not value.strip():
                return "empty_value", 'blank text; send {"skipped": ...} instead'
            if item.max_length is not None and len(value) > item.max_length:
                return "too_long", f"{len(value)} characters, at most {item.max_length} allowed"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_number(item: Item, value: Any) -> tuple[AnswerErrorCode, str] | None:
    if not _is_number(value):
        return "wrong_type", "expected a number"
    # JSON integers are unbounded: an int is never converted to float here (a
    # huge one would raise OverflowError); int-float comparison is exact.
    if isinstance(value, float):
        if not math.isfinite(value):
            return "out_of_range", "expected a finite number"
        if item.integer and not value.is_integer():
            return "wrong_type", "expected a whole number"
    low = item.min if item.min is not None else -math.inf
    high = item.max if item.max is not None else math.inf
    if not low <= value <= high:
        # str() of a huge int is slow and capped (sys.set_int_max_str_digits).
        shown = f"{value}" if isinstance(value, float) or abs(value) < 10**15 else "the number"
        return "out_of_range", f"{shown} is outside {low:g}..{high:g}"
    return None


def _check_date(item: Item, value: Any, as_of: date | None) -> tuple[AnswerErrorCode, str] | None:
    if not isinstance(value, str):
        return "wrong_type", "expected an ISO date string"
    try:
        first, _, partial = date_bounds(value)
    except ValueError as exc:
        return "invalid_date", f"{value!r}: {exc}"
    if as_of is not None and first > as_of:
        return "invalid_date", f"{value!r} is after the screening date {as_of.isoformat()}"
    if partial and not item.allow_partial:
        return "invalid_date", f"{value!r}: this item needs a full date (YYYY-MM-DD)"
    return None
