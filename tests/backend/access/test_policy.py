"""Who may see what: the one table of object- and field-level decisions."""

from __future__ import annotations

import uuid

import pytest

from backend.access.policy import listable_roles, may_manage_devices, may_write_case, phone_view
from backend.access.principal import Principal
from backend.access.roles import Role

ME, OTHER = uuid.uuid4(), uuid.uuid4()


def _as(role: Role) -> Principal:
    return Principal(user_id=ME, username="u", role=role, token_id=uuid.uuid4())


@pytest.mark.parametrize(
    ("role", "entity", "created_by", "assigned", "view"),
    [
        (Role.COORDINATOR, "account", OTHER, None, "none"),  # not even a coordinator's phone
        (Role.CASEWORKER, "account", ME, None, "none"),  # accounts never go to phones
        (Role.CASEWORKER, "case", ME, None, "full"),
        (Role.CASEWORKER, "screening", OTHER, str(ME), "full"),  # assigned
        (Role.CASEWORKER, "case", OTHER, None, "facets"),
        (Role.CASEWORKER, "consent", OTHER, None, "none"),
        (Role.INVESTIGATOR, "case", ME, None, "none"),
        (Role.ADMIN, "case", ME, None, "none"),
    ],
)
def test_phone_view(
    role: Role, entity: str, created_by: uuid.UUID, assigned: str | None, view: str
) -> None:
    assert (
        phone_view(_as(role), entity, case_created_by=created_by, case_assigned_to=assigned) == view
    )


@pytest.mark.parametrize(
    ("role", "created_by", "assigned", "allowed"),
    [
        (Role.COORDINATOR, OTHER, None, True),
        (Role.CASEWORKER, ME, None, True),
        (Role.CASEWORKER, OTHER, str(ME), True),
        (Role.CASEWORKER, OTHER, None, False),
        (Role.INVESTIGATOR, ME, None, False),
        (Role.ADMIN, ME, None, False),
    ],
)
def test_may_write_case(
    role: Role, created_by: uuid.UUID, assigned: str | None, allowed: bool
) -> None:
    assert may_write_case(_as(role), created_by=created_by, assigned_to=assigned) is allowed


@pytest.mark.parametrize(
    ("role", "owner", "shares", "allowed"),
    [
        (Role.ADMIN, OTHER, False, True),
        (Role.CASEWORKER, ME, False, True),  # one's own
        (Role.COORDINATOR, OTHER, True, True),
        (Role.COORDINATOR, OTHER, False, False),
        (Role.CASEWORKER, OTHER, True, False),
        (Role.INVESTIGATOR, OTHER, True, False),
    ],
)
def test_may_manage_devices(role: Role, owner: uuid.UUID, shares: bool, allowed: bool) -> None:
    assert may_manage_devices(_as(role), owner_id=owner, shares_operation=shares) is allowed


def test_listable_roles() -> None:
    assert listable_roles(_as(Role.ADMIN), asked=None) is None
    assert listable_roles(_as(Role.ADMIN), asked=Role.INVESTIGATOR) == {Role.INVESTIGATOR}
    assert listable_roles(_as(Role.COORDINATOR), asked=None) == {Role.CASEWORKER, Role.COORDINATOR}
    assert listable_roles(_as(Role.COORDINATOR), asked=Role.ADMIN) == frozenset()
