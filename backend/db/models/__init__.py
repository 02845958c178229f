"""Every table, imported here so that Alembic sees the whole metadata."""

from backend.db.models.audit import AuditEntry, DenialCounter
from backend.db.models.consent import ConsentState
from backend.db.models.coordination import (
    CaseLifecycle,
    CaseTransfer,
    ReferralStep,
    ServiceProvider,
)
from backend.db.models.duplicates import DuplicateProposal, PersonEncoding, PersonEncodingToken
from backend.db.models.identity import AccessToken, Device, LoginThrottle, User
from backend.db.models.investigations import (
    ApprovedRecord,
    CaseBasis,
    DisclosureRequest,
    Investigation,
    LinkedDisclosure,
    ReachedCase,
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
from backend.db.models.statistics import StatisticsRelease
from backend.db.models.triage import CaseTriage

__all__ = [
    "AccessToken",
    "ApprovedRecord",
    "AuditEntry",
    "CaseBasis",
    "CaseLifecycle",
    "CaseTransfer",
    "CaseTriage",
    "Change",
    "Conflict",
    "ConsentState",
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
    "ReachedCase",
    "Record",
    "ReferralStep",
    "ServerState",
    "ServiceProvider",
    "StatisticsRelease",
    "User",
]
