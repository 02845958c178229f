"""Every table, imported here so that Alembic sees the whole metadata."""

from backend.db.models.audit import AuditEntry, DenialCounter
from backend.db.models.identity import AccessToken, Device, LoginThrottle, User
from backend.db.models.operations import Operation, OperationMember

__all__ = [
    "AccessToken",
    "AuditEntry",
    "DenialCounter",
    "Device",
    "LoginThrottle",
    "Operation",
    "OperationMember",
    "User",
]
