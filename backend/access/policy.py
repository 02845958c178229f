"""Who may see what, decided in one place.

Route guards (``guards.py``) admit roles; the rules below decide, object by
object and field by field, what an admitted caller may hold. Services ask
these functions and apply the answer inside their queries; nothing else
decides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from backend.access.principal import Principal
from backend.access.roles import MEMBER_ROLES, Role

__all__ = [
    "INVESTIGABLE_CONSENT",
    "SEALED_ROLES",
    "ConsentFact",
    "PhoneScope",
    "PhoneView",
    "consent_in_force",
    "latest_consents",
    "listable_roles",
    "may_manage_devices",
    "may_write_case",
    "phone_scope",
    "phone_view",
]

#: Disclosure roles that are the victim's own (personal data): an investigator
#: never sees them unless a disclosure request for the case was approved.
SEALED_ROLES = frozenset({"victim_own"})
#: The state of the latest ``financial_investigation`` consent that lets a case's
#: disclosures reach investigators (a recorded legal basis does too).
INVESTIGABLE_CONSENT = "given"

#: What a phone may hold of a record: all of it, the case's facets only, or nothing.
PhoneView = Literal["full", "facets", "none"]

#: What a caller's phones may hold of their operations, as a whole (pull applies it in SQL):
#: everything (``operation``), or ``own`` (see :func:`phone_view`), or nothing.
PhoneScope = Literal["operation", "own", "nothing"]


def _holds_case(principal: Principal, *, created_by: uuid.UUID, assigned_to: str | None) -> bool:
    return created_by == principal.user_id or assigned_to == str(principal.user_id)


def may_write_case(principal: Principal, *, created_by: uuid.UUID, assigned_to: str | None) -> bool:
    """Whether the caller may change a case of an operation they belong to, or add to it.

    A coordinator may write to any case of their operations; a caseworker only
    to the cases they created or were assigned.
    """
    if principal.role == Role.COORDINATOR:
        return True
    return principal.role == Role.CASEWORKER and _holds_case(
        principal, created_by=created_by, assigned_to=assigned_to
    )


def phone_view(
    principal: Principal,
    entity: str,
    *,
    case_created_by: uuid.UUID | None,
    case_assigned_to: str | None,
) -> PhoneView:
    """What the caller's phone may hold of a record of a case in their operations.

    Coordinators hold everything of their operations. Accounts never leave
    coordinator scope. A caseworker holds in full the cases they created or
    were assigned; of other cases, only the case's facets (its code, age group,
    assignee), and none of their records.
    """
    if principal.role == Role.COORDINATOR:
        return "full"
    if principal.role != Role.CASEWORKER or entity == "account" or case_created_by is None:
        return "none"
    if _holds_case(principal, created_by=case_created_by, assigned_to=case_assigned_to):
        return "full"
    return "facets" if entity == "case" else "none"


def phone_scope(principal: Principal) -> PhoneScope:
    """:func:`phone_view` for every record at once, as pull's query applies it.

    ``own``: in full, the cases the caller created or was assigned and their
    records, accounts excepted; of other cases, the case record (its facets).
    """
    if principal.role == Role.COORDINATOR:
        return "operation"
    return "own" if principal.role == Role.CASEWORKER else "nothing"


def may_manage_devices(
    principal: Principal, *, owner_id: uuid.UUID, shares_operation: bool
) -> bool:
    """Whether the caller may list (or, if not a caseworker, revoke) a person's devices.

    Everyone may for their own; an admin for anyone; a coordinator for members
    of an operation they belong to.
    """
    if principal.role == Role.ADMIN or principal.user_id == owner_id:
        return True
    return principal.role == Role.COORDINATOR and shares_operation


def listable_roles(principal: Principal, *, asked: Role | None) -> frozenset[Role] | None:
    """Which accounts' roles the caller may list (``None``: every role).

    Admins see every account. Coordinators see only the accounts they can add
    to operations: who the investigators and admins are is none of their business.
    """
    if principal.role == Role.ADMIN:
        return None if asked is None else frozenset({asked})
    return frozenset(r for r in MEMBER_ROLES if asked is None or r == asked)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentFact:
    """One recorded consent of a case, as far as the rule below needs it."""

    purpose: str
    state: str
    recorded_at: dt.datetime
    created_at: dt.datetime
    record_id: uuid.UUID


def _order(fact: ConsentFact) -> tuple[dt.datetime, dt.datetime, str]:
    return (fact.recorded_at, fact.created_at, str(fact.record_id))


def latest_consents(consents: Iterable[ConsentFact]) -> dict[str, ConsentFact]:
    """The consent that stands for each purpose: the latest recorded (then received) wins."""
    latest: dict[str, ConsentFact] = {}
    for fact in consents:
        found = latest.get(fact.purpose)
        if found is None or _order(fact) > _order(found):
            latest[fact.purpose] = fact
    return latest


def consent_in_force(consents: Iterable[ConsentFact], purpose: str) -> bool:
    """Whether the person's consent for ``purpose`` stands now.

    The latest consent recorded for the purpose wins (by the time it was
    recorded, then by when the server received it): ``given`` lets data leave
    for that purpose; ``refused``, ``withdrawn`` or no record at all does not.
    A withdrawal therefore takes effect on the next query that asks.
    """
    latest = latest_consents(consents).get(purpose)
    return latest is not None and latest.state == "given"
