"""What a pushed mutation must satisfy before it is applied, and how a refusal is said.

A refusal names the field and the rule it broke, never the value sent: a
rejected value may be personal data (a passport number typed into the wrong
field), and the refusal is stored in the mutation's outcome and in quarantine.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec

from backend.access.policy import may_write_case
from backend.access.principal import Principal
from backend.crypto.vault import Vault, WrappedKey
from backend.db.models import Quarantined, Record
from backend.errors import FieldError, Forbidden, LanternError, ValidationFailed
from backend.i18n import N_
from backend.problems import reason_without_value
from backend.sync.entities import ENTITIES
from backend.sync.repositories import RecordBrief
from backend.sync.schemas import MutationIn

__all__ = [
    "Rejected",
    "check_scope",
    "foreign_id",
    "open_quarantined",
    "rejected",
    "validated",
]

#: A field name safe to echo in a path (anything else may be text the person typed).
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: A path msgspec reports: field names and list indexes.
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}|\[\d{1,6}\])*$")


class Rejected(Exception):
    """A mutation that cannot be applied: it goes to quarantine with this problem."""

    def __init__(self, error: LanternError, *, waiting: bool = False) -> None:
        super().__init__(error.detail or error.title)
        self.error = error
        self.waiting = waiting


def rejected(reason: str, *, field_name: str = "data", code: str | None = None) -> Rejected:
    """A validation refusal of one field."""
    return Rejected(
        ValidationFailed(
            reason,
            errors=[FieldError(field=field_name, reason=reason, location="body", code=code)],
        )
    )


def foreign_id() -> Rejected:
    """The answer for an id another operation's record holds: it says nothing of that record."""
    return rejected(
        "this id cannot be used; make a new one", field_name="id", code="id_unavailable"
    )


def _reason(message: str) -> tuple[str, str]:
    """msgspec's message as a reason and a code, with any value it quoted left out."""
    text = message.strip()
    if text.startswith("Invalid enum value"):
        return "not one of the allowed values", "enum"
    if text.startswith("Expected `") and " matching regex " in text:
        return "does not have the required form", "pattern"
    if text.startswith("Object contains unknown field"):
        return "unknown field", "unknown_field"
    if text.startswith("Object missing required field"):
        return "required", "required"
    # Other messages name types and bounds, not values ("Expected `int`, got `str`",
    # "Expected `str` of length <= 200"); quoted text is dropped all the same, by the
    # one rule every problem follows.
    return reason_without_value(text), "invalid"


def validated(mutation: MutationIn) -> dict[str, Any]:
    """The fields a device sent, checked against the entity's schema.

    Raises:
        Rejected: a field breaks the schema (the problem names it and the rule).
    """
    schema = ENTITIES[mutation.entity]
    try:
        decoded = msgspec.convert(mutation.data, type=schema, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        path = "data"
        if " - at `$." in message:
            message, _, at = message.partition(" - at `$.")
            at = at.rstrip("`")
            path = f"data.{at}" if _PATH.match(at) else "data"
        elif "Object contains unknown field" in message:
            name = message.split("`")[1] if "`" in message else ""
            path = f"data.{name}" if _NAME.match(name) else "data"
        reason, code = _reason(message)
        raise rejected(reason, field_name=path, code=code) from None
    return {
        k: v
        for k, v in msgspec.to_builtins(decoded).items()
        if k in mutation.data  # only what the device sent
    }


def check_scope(principal: Principal, scope: set[uuid.UUID], case: Record | RecordBrief) -> None:
    """The caller may write to this case (a member of its operation who holds it).

    Raises:
        Rejected: not a member of its operation, or a caseworker who does not hold it.
    """
    if case.operation_id not in scope:
        raise Rejected(Forbidden(N_("You are not a member of this record's operation.")))
    facets = msgspec.json.decode(case.facets)
    if not may_write_case(
        principal, created_by=case.created_by, assigned_to=facets.get("assigned_to")
    ):
        raise Rejected(
            Forbidden(N_("Only the caseworker who created or was assigned a case writes to it."))
        )


def open_quarantined(vault: Vault, item: Quarantined) -> MutationIn:
    """A quarantined mutation as the device sent it, opened under the item's own key."""
    plain = vault.unwrap(
        WrappedKey(wrapped=item.wrapped_key, master_key_id=item.master_key_id), item.id
    )
    return msgspec.json.decode(
        plain.open(item.payload, table="sync_quarantine", column="payload", row_id=str(item.id)),
        type=MutationIn,
    )
