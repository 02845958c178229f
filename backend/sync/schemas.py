"""Request and response bodies of ``/api/v1/sync``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec

from backend.problems import Problem
from backend.sync.entities import Entity

__all__ = [
    "MAX_BATCH",
    "Change",
    "ConflictOut",
    "ConflictResolve",
    "MutationIn",
    "MutationResult",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "QuarantineOut",
    "QuarantineResolve",
]

#: Mutations per push; a larger batch is a 413 problem.
MAX_BATCH = 500


class MutationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One change made on a device: create or update (``upsert``), or ``delete``."""

    mutation_id: uuid.UUID
    entity: Entity
    id: uuid.UUID
    op: Literal["upsert", "delete"]
    base_rev: Annotated[int, msgspec.Meta(ge=0, le=2**31)] | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    client_time: dt.datetime | None = None
    schema_version: Annotated[int, msgspec.Meta(ge=1, le=1)] = 1


class PushRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A batch of mutations from one device, applied each on its own."""

    device_id: uuid.UUID
    mutations: Annotated[list[MutationIn], msgspec.Meta(max_length=100_000)]


class FieldConflict(msgspec.Struct, kw_only=True):
    """A field changed on both sides: the server kept its value."""

    field: str
    conflict_id: uuid.UUID


class MutationResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The durable outcome of one mutation (the same every time it is pushed again)."""

    mutation_id: uuid.UUID
    status: Literal["applied", "duplicate", "conflict", "rejected", "waiting"]
    rev: int | None = None
    problem: Problem | None = None
    conflicts: list[FieldConflict] | None = None


class PushResponse(msgspec.Struct, kw_only=True):
    """One result per mutation, in the order sent."""

    results: list[MutationResult]


class Change(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One change in the caller's scope: a record's state, a tombstone or a purge."""

    entity: str
    id: uuid.UUID
    op: Literal["upsert", "delete", "purge"]
    rev: int
    data: dict[str, Any] | None = None
    facets: dict[str, Any] | None = None


class PullResponse(msgspec.Struct, kw_only=True):
    """A page of changes, the cursor to send next, and whether more are waiting."""

    changes: list[Change]
    cursor: str
    has_more: bool


class ConflictOut(msgspec.Struct, kw_only=True):
    """A conflict for a coordinator: the device's value beside the server's."""

    id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    case_id: uuid.UUID
    operation_id: uuid.UUID
    field: str
    kind: str
    device_value: Any
    server_value: Any
    base_rev: int | None
    server_rev: int
    device_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    created_at: dt.datetime


class ConflictResolve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Keep the server's value, or take the device's."""

    keep: Literal["server", "device"]


class QuarantineOut(msgspec.Struct, kw_only=True):
    """A mutation that could not be applied, with why, and what it carried."""

    id: uuid.UUID
    mutation_id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    operation_id: uuid.UUID | None
    case_id: uuid.UUID | None
    status: str
    reason: dict[str, Any]
    payload: dict[str, Any]
    device_id: uuid.UUID
    user_id: uuid.UUID
    created_at: dt.datetime


class QuarantineResolve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Dismiss a quarantined mutation once its content has been dealt with."""

    action: Literal["dismiss"]
