"""The roles, defined once."""

from __future__ import annotations

import enum

__all__ = ["MEMBER_ROLES", "Role"]


class Role(enum.StrEnum):
    """What a user is in Lantern. Stored and sent as its value."""

    CASEWORKER = "caseworker"
    COORDINATOR = "coordinator"
    INVESTIGATOR = "investigator"
    ADMIN = "admin"


#: Roles that can be members of an operation. Investigators and admins never
#: are: they do not work with cases of an operation.
MEMBER_ROLES = frozenset({Role.CASEWORKER, Role.COORDINATOR})
