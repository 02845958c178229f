"""A reference model of what the sync server should hold, for the stateful test.

It is the protocol of issue 8 written small: a mutation is applied, waits for
its record or case, or is rejected; an update merges the fields nobody changed
since its ``base_rev`` and turns each field changed on both sides into a
conflict that keeps the server's value; a create releases what waited for it,
in arrival order. Scope: a coordinator's device holds everything of its
operation; a caseworker's holds in full the records of cases it created or was
assigned, only the facets of other cases; no phone ever holds an account.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Entities the model writes; consent and screening (immutable) are left to test_push_pull.
CHILD_FIELDS = {"referral": ("status", "note"), "account": ("text",)}
CASE_FIELDS = ("family_name", "given_names", "notes")
#: The referral workflow, as the server applies it to phones too.
REFERRAL_NEXT: dict[Any, tuple[str, ...]] = {
    "proposed": ("accepted", "declined"),
    "accepted": ("in_progress", "declined"),
    "in_progress": ("completed", "declined"),
}
REFERRAL_STATUSES = ("proposed", "accepted", "in_progress", "completed", "declined")


@dataclass
class Rec:
    """A record as the server should hold it."""

    entity: str
    id: str
    case_id: str
    created_by: str  # user id
    data: dict[str, Any]
    rev: int = 1
    field_revs: dict[str, int] = field(default_factory=dict)
    deleted: bool = False
    #: Who made each revision (None: a coordinator's resolution, made by no device).
    rev_by: dict[int, str | None] = field(default_factory=dict)


@dataclass
class Waiting:
    """A mutation that arrived before its record (or its case)."""

    mutation: dict[str, Any]
    user: str
    record_id: str
    case_id: str | None


@dataclass
class Outcome:
    """A mutation's durable outcome as the model expects it."""

    status: str
    rev: int | None = None
    conflict_fields: tuple[str, ...] = ()


@dataclass
class Conflict:
    """A field changed on both sides; the device's value kept for a coordinator."""

    record_id: str
    field: str
    kind: str
    device_value: Any
    status: str = "open"

    def key(self) -> tuple[str, str, str, str]:
        return (self.record_id, self.field, self.kind, repr(self.device_value))


class Model:
    """What one operation on the server should hold."""

    def __init__(self, operation_id: str) -> None:
        self.operation_id = operation_id
        self.records: dict[str, Rec] = {}
        self.waiting: list[Waiting] = []
        self.rejected: dict[str, dict[str, Any]] = {}  # mutation id -> payload
        self.outcomes: dict[str, Outcome] = {}
        self.conflicts: list[Conflict] = []

    # -- push -------------------------------------------------------------------------

    def push(self, user: str, mutation: dict[str, Any]) -> Outcome:
        """The outcome of a mutation pushed now (a duplicate if seen before)."""
        mid = mutation["mutation_id"]
        if mid in self.outcomes:
            return Outcome("duplicate", self.outcomes[mid].rev, self.outcomes[mid].conflict_fields)
        outcome = self._apply(user, mutation, arrival=True)
        self.outcomes[mid] = outcome
        return outcome

    def _apply(self, user: str, m: dict[str, Any], *, arrival: bool) -> Outcome:
        data = m["data"]
        if data.get("age_estimate") == -3:  # the model's one invalid value
            self.rejected[m["mutation_id"]] = m
            return Outcome("rejected")
        existing = self.records.get(m["id"])
        if m["op"] == "delete":
            if existing is None:
                return self._wait(user, m, arrival)
            if not existing.deleted:
                existing.deleted = True
                existing.rev += 1
                existing.rev_by[existing.rev] = user
            return Outcome("applied", existing.rev)
        if existing is None:
            if m["base_rev"]:
                return self._wait(user, m, arrival)
            if m["entity"] == "case":
                case_id = m["id"]
            else:
                case_id = data["case_id"]
                if self.records.get(case_id) is None:
                    return self._wait(user, m, arrival)
            rec = Rec(
                entity=m["entity"],
                id=m["id"],
                case_id=case_id,
                created_by=user,
                data=dict(data),
                field_revs=dict.fromkeys(data, 1),
                rev_by={1: user},
            )
            self.records[rec.id] = rec
            self._release(rec)
            return Outcome("applied", 1)
        return self._update(user, m, existing)

    def _update(self, user: str, m: dict[str, Any], rec: Rec) -> Outcome:
        base = m["base_rev"]
        kind = (
            "create_create"
            if base is None
            else ("update_deleted" if rec.deleted else "update_update")
        )
        changed: dict[str, Any] = {}
        clashed: list[Conflict] = []
        for name, value in m["data"].items():
            if rec.data.get(name) == value:
                continue
            newer = rec.field_revs.get(name, 0)
            # Edits queued on one phone all carry the revision it last saw: a later
            # revision made by this same device is not in conflict with them.
            if kind != "update_update" or (newer > base and rec.rev_by.get(newer) != user):
                clashed.append(Conflict(rec.id, name, kind, value))
            else:
                changed[name] = value
        if (
            rec.entity == "referral"
            and "status" in changed
            and changed["status"] not in REFERRAL_NEXT.get(rec.data.get("status"), ())
        ):
            self.rejected[m["mutation_id"]] = m  # the workflow: nothing is applied
            return Outcome("rejected")
        self.conflicts += clashed
        if changed:
            rec.rev += 1
            rec.data.update(changed)
            rec.rev_by[rec.rev] = user
            for name in changed:
                rec.field_revs[name] = rec.rev
        return Outcome(
            "conflict" if clashed else "applied", rec.rev, tuple(c.field for c in clashed)
        )

    def _wait(self, user: str, m: dict[str, Any], arrival: bool) -> Outcome:
        if arrival:
            case_id = m["id"] if m["entity"] == "case" else m["data"].get("case_id")
            self.waiting.append(Waiting(m, user, m["id"], case_id))
        return Outcome("waiting")

    def _release(self, rec: Rec) -> None:
        """Apply, in arrival order, what waited for this record (and, for a case, its records)."""
        batch = [w for w in self.waiting if w.record_id == rec.id]
        if rec.entity == "case":
            batch += [w for w in self.waiting if w.case_id == rec.id and w not in batch]
        for item in batch:
            if item not in self.waiting:
                continue  # released on the way by a record it waited for
            at = self.waiting.index(item)
            self.waiting.remove(item)  # (on the server, re-applying it here changes nothing)
            outcome = self._apply(item.user, item.mutation, arrival=False)
            if outcome.status == "waiting":
                self.waiting.insert(at, item)
                continue
            self.outcomes[item.mutation["mutation_id"]] = outcome

    # -- coordinators -----------------------------------------------------------------

    def resolve(self, conflict: Conflict, keep: str) -> None:
        """A coordinator keeps the server's value or takes the device's."""
        conflict.status = "resolved"
        if keep == "device":
            rec = self.records[conflict.record_id]
            rec.rev += 1
            rec.data[conflict.field] = conflict.device_value
            rec.field_revs[conflict.field] = rec.rev
            rec.rev_by[rec.rev] = None
            rec.deleted = False

    def open_conflicts(self) -> Counter[tuple[str, str, str, str]]:
        return Counter(c.key() for c in self.conflicts if c.status == "open")

    # -- scope ------------------------------------------------------------------------

    def may_write(self, user: str, role: str, record_id: str) -> bool:
        """Whether this user may write to the record (or to a record of this case)."""
        rec = self.records.get(record_id)
        if rec is None:
            return False
        if role == "coordinator":
            return True
        case = self.records[rec.case_id]
        return case.created_by == user or case.data.get("assigned_to") == user

    def view(self, user: str, role: str) -> dict[str, tuple[int, str, dict[str, Any]]]:
        """What a device of this user should hold after pulling to the end."""
        out: dict[str, tuple[int, str, dict[str, Any]]] = {}
        for rec in self.records.values():
            if rec.deleted or rec.entity == "account":  # accounts never reach a phone
                continue
            if role == "coordinator":
                out[rec.id] = (rec.rev, "data", rec.data)
                continue
            case = self.records[rec.case_id]
            mine = case.created_by == user or case.data.get("assigned_to") == user
            if mine:
                out[rec.id] = (rec.rev, "data", rec.data)
            elif rec.entity == "case":
                assigned = rec.data.get("assigned_to")
                facets = {
                    "case_code": rec.data.get("case_code"),
                    "age_group": "unknown",
                    "assigned_to": assigned,
                    "nationality_tag": None,  # the model's cases carry no nationality
                }
                out[rec.id] = (rec.rev, "facets", facets)
        return out
