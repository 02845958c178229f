"""Every table, imported here so that Alembic sees the whole metadata."""

from backend.db.models.audit import AuditEntry, DenialCounter
from backend.db.models.identity import AccessToken, Device, LoginThrottle, User
from backend.db.models.investigations import (
    CaseBasis,
    DisclosureRequest,
    Investigation,
    LinkedDisclosure,
)
from backend.db.models.operations import Operation, OperationMember
from backend.db.models.records import (
    Change,
    Conflict,
    Counter,
    DataKey,
    Mutation,
    Quarantined,
    Record,
    ServerState,
)

__all__ = [
    "AccessToken",
    "AuditEntry",
    "CaseBasis",
    "Change",
    "Conflict",
    "Counter",
    "DataKey",
    "DenialCounter",
    "Device",
    "DisclosureRequest",
    "Investigation",
    "LinkedDisclosure",
    "LoginThrottle",
    "Mutation",
    "Operation",
    "OperationMember",
    "Quarantined",
    "Record",
    "ServerState",
    "User",
]
