"""How investigations refuse: as not found, with the attempt audited."""

from __future__ import annotations

import uuid

from backend.access.principal import Principal
from backend.audit.services import refused_as_not_found
from backend.errors import NotFound
from backend.runtime import Runtime

__all__ = ["refused"]


def refused(
    runtime: Runtime,
    principal: Principal,
    message: str,
    *,
    action: str,
    object_type: str,
    object_id: uuid.UUID,
) -> NotFound:
    """Not found, the attempt audited (an object out of the caller's scope never shows)."""
    return refused_as_not_found(
        message,
        keyring=runtime.keyring,
        action=action,
        actor_id=principal.user_id,
        actor_role=principal.role,
        object_type=object_type,
        object_id=object_id,
    )
