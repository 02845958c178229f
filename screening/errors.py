"""Errors raised by the screening package."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "AnswerError",
    "AnswerErrorCode",
    "AnswerValidationError",
    "DefinitionProblem",
    "InstrumentDefinitionError",
    "MissingReferenceDateError",
    "ScreeningError",
    "UnknownInstrument",
]

AnswerErrorCode = Literal[
    "malformed_answer",
    "unknown_item",
    "wrong_type",
    "option_not_offered",
    "duplicate_option",
    "hidden_by_condition",
    "out_of_range",
    "too_long",
    "empty_value",
    "invalid_date",
]
"""Why an answer was rejected."""


class ScreeningError(Exception):
    """Base class of every error raised by :mod:`screening`."""


class UnknownInstrument(ScreeningError, LookupError):
    """No instrument with this key (or this version of it) is registered."""

    def __init__(self, key: str, version: int | None = None) -> None:
        self.key = key
        self.version = version
        if version is None:
            message = f"unknown instrument {key!r}"
        else:
            message = f"unknown instrument {key!r} version {version}"
        super().__init__(message)


class DefinitionProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One problem in an instrument definition, with the path where it is."""

    path: str
    reason: str


class InstrumentDefinitionError(ScreeningError, ValueError):
    """An instrument definition file is malformed; every problem found is listed."""

    def __init__(self, source: str, problems: list[DefinitionProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p.path}: {p.reason}" for p in problems)
        super().__init__(f"invalid instrument definition {source}:\n{lines}")


class AnswerError(msgspec.Struct, frozen=True, kw_only=True):
    """One rejected answer.

    ``item_id`` is the key of the answer in the submitted mapping (``"$"`` when
    the mapping itself is malformed).
    """

    item_id: str
    code: AnswerErrorCode
    reason: str


class AnswerValidationError(ScreeningError, ValueError):
    """A set of answers does not fit its instrument; ``errors`` lists every problem."""

    def __init__(self, errors: list[AnswerError]) -> None:
        self.errors = errors
        lines = "; ".join(f"{e.item_id}: {e.code}: {e.reason}" for e in errors)
        super().__init__(f"{len(errors)} invalid answer(s): {lines}")


class MissingReferenceDateError(ScreeningError, ValueError):
    """A date of birth was answered but no ``as_of`` date was given to compute the age."""
