"""Who may see what, decided in one place.

Route guards (``guards.py``) admit roles; the rules below decide, object by
object and field by field, what an admitted caller may hold. Services ask
these functions and apply the answer inside their queries; nothing else
decides.
"""

from __future__ import annotations

import uuid
from typing import Literal

from backend.access.principal import Principal
from backend.access.roles import MEMBER_ROLES, Role

__all__ = [
    "SEALED_ROLES",
    "PhoneScope",
    "PhoneView",
    "listable_roles",
    "may_manage_devices",
    "may_write_case",
    "phone_scope",
    "phone_view",
]

#: Disclosure roles that are the victim's own (personal data): an investigator
#: never sees them unless a disclosure request for the case was approved.
SEALED_ROLES = frozenset({"victim_own"})

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

    No phone holds an account (the person's own narrative): coordinators read
    it online, in the case view, and a phone can be lost at a raid. Otherwise
    coordinators hold everything of their operations. A caseworker holds in
    full the cases they created or were assigned; of other cases, only the
    case's facets (its code, age group, assignee), and none of their records.
    """
    if entity == "account":
        return "none"
    if principal.role == Role.COORDINATOR:
        return "full"
    if principal.role != Role.CASEWORKER or case_created_by is None:
        return "none"
    if _holds_case(principal, created_by=case_created_by, assigned_to=case_assigned_to):
        return "full"
    return "facets" if entity == "case" else "none"


def phone_scope(principal: Principal) -> PhoneScope:
    """:func:`phone_view` for every record at once, as pull's query applies it.

    In every scope, accounts are left out. ``own``: in full, the cases the caller created or was assigned and their
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
