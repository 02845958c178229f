"""The consent rule, written once: purposes, states, and which record stands.

Which consent counts is decided by the order in which the server received the
records, never by a phone's clock (``recorded_at`` is what the phone said,
kept for the record):

- each newly received record for a purpose replaces the one that stood;
- except that a **withdrawal stands** until a later-received record names it
  in ``supersedes``: a ``given`` from a phone that never saw the withdrawal
  does not undo it;
- ``given`` is the only state that lets data leave for the purpose.

:func:`step` applies one received record; :func:`standing` folds a whole
history in receipt order (the property tests and the rebuild use it). The
consent projector stores the result per case and purpose, and every exit reads
that stored answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "FINANCIAL_INVESTIGATION",
    "GIVEN",
    "PURPOSES",
    "STATES",
    "ConsentRecord",
    "Purpose",
    "State",
    "in_force",
    "standing",
    "step",
]

Purpose = Literal[
    "services", "financial_investigation", "prosecution_evidence", "aggregate_statistics"
]
State = Literal["given", "refused", "withdrawn"]

#: Every purpose a consent is recorded for.
PURPOSES: Final[tuple[Purpose, ...]] = (
    "services",
    "financial_investigation",
    "prosecution_evidence",
    "aggregate_statistics",
)
#: Every state a consent record may have.
STATES: Final[tuple[State, ...]] = ("given", "refused", "withdrawn")
#: The purpose that lets a case's financial links reach investigators.
FINANCIAL_INVESTIGATION: Final[Purpose] = "financial_investigation"
#: The one state that lets data leave for the purpose.
GIVEN: Final[State] = "given"
_WITHDRAWN: Final[State] = "withdrawn"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentRecord:
    """One consent record, as the rule reads it (from its readable facets)."""

    record_id: uuid.UUID
    purpose: str
    state: str
    supersedes: uuid.UUID | None = None


def step(stood: ConsentRecord | None, received: ConsentRecord) -> ConsentRecord | None:
    """What stands after ``received`` arrives, when ``stood`` stood before (same purpose)."""
    if stood is not None and stood.state == _WITHDRAWN and received.supersedes != stood.record_id:
        return stood  # a withdrawal stands until a later record explicitly supersedes it
    return received


def standing(history: Iterable[ConsentRecord]) -> dict[str, ConsentRecord]:
    """The record that stands for each purpose, from records in the order received."""
    stands: dict[str, ConsentRecord] = {}
    for record in history:
        result = step(stands.get(record.purpose), record)
        if result is not None:
            stands[record.purpose] = result
    return stands


def in_force(state: str | None) -> bool:
    """Whether a standing state lets data leave for its purpose."""
    return state == GIVEN
