"""Every table, imported here so that Alembic sees the whole metadata."""

from backend.db.models.audit import AuditEntry, DenialCounter
from backend.db.models.coordination import (
    CaseLifecycle,
    CaseTransfer,
    ReferralStep,
    ServiceProvider,
)
from backend.db.models.duplicates import DuplicateProposal, PersonEncoding, PersonEncodingToken
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
    "CaseLifecycle",
    "CaseTransfer",
    "Change",
    "Conflict",
    "Counter",
    "DataKey",
    "DenialCounter",
    "Device",
    "DisclosureRequest",
    "DuplicateProposal",
    "Investigation",
    "LinkedDisclosure",
    "LoginThrottle",
    "Mutation",
    "Operation",
    "OperationMember",
    "PersonEncoding",
    "PersonEncodingToken",
    "Quarantined",
    "Record",
    "ReferralStep",
    "ServerState",
    "ServiceProvider",
    "User",
]
