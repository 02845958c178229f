"""Schemathesis, in process, against the app itself, as every role, on a seeded world.

The schema is loaded from ``create_app`` through schemathesis' ASGI
integration (``from_asgi``), and every generated request goes to the app in
process. Before fuzzing, :func:`tests.backend.world.seed_world` makes one
operation with a real object behind every path parameter; schema-conforming
requests (positive) use those ids, so routes answer with their success and
their real errors, not only 403/404/422. Each example draws a role (or none)
and a request for every operation of the app, and schemathesis checks each
answer: no server error, a documented status, media type, headers and body
schema, and schema-violating input (negative) refused.

Size: ``LANTERN_TEST_PROFILE=ci`` (default) runs a few rounds over every
operation; ``long`` (``make test-long``) runs many.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.runtime import Runtime
from tests.backend.test_authorization_matrix import MATRIX, ROLES
from tests.backend.world import OWN_WALLET, WALLET, World
from tests.conftest import PASSWORD
from tests.profile import size

ROUNDS = size(ci=4, long=60)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


def real_values(world: World) -> dict[str, list[str]]:
    """Per parameter or body field name, the seeded values a positive request may use."""
    return {
        "case_id": [
            world.case_id,
            world.closable_case_id,
            world.transfer_case_id,
            *world.duplicate_ids,
        ],
        "primary_case_id": list(world.duplicate_ids),
        "operation_id": [world.operation_id, world.other_operation_id],
        "to_operation": [world.other_operation_id, world.operation_id],
        "user_id": [world.target_user_id, world.member_id],
        "device_id": [str(world.spare_device)],
        "conflict_id": [world.conflict_id],
        "item_id": [world.quarantine_id],
        "referral_id": [world.referral_id],
        "transfer_id": [world.transfer_id],
        "provider_id": [world.provider_id],
        "proposal_id": [world.proposal_id],
        "investigation_id": [world.investigation_id, world.second_investigation_id],
        "request_id": [world.request_id],
        "case_ref": [world.case_ref, world.second_case_ref],
        "chain": ["tron"],
        "address": [WALLET, OWN_WALLET],
        "key": ["scam_compound"],
        "export_format": ["csv", "tagpack"],
    }


def _seed_ids(case: Any, values: dict[str, list[str]], data: st.DataObject) -> None:
    """Put seeded ids where a conforming request names an object."""
    for name in list(case.path_parameters or {}):
        if name in values:
            case.path_parameters[name] = data.draw(st.sampled_from(values[name]))
    for name in list(case.query or {}):
        if name in values:
            case.query[name] = data.draw(st.sampled_from(values[name]))
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in values:
                case.body[name] = data.draw(st.sampled_from(values[name]))


class Sessions:
    """A bearer token per role, signed in again after a logout ended it."""

    def __init__(self, app: Litestar, world: World) -> None:
        self.app = app
        self.world = world
        self.headers = dict(world.headers)

    def refresh(self, role: str) -> None:
        with asgi.get_client(self.app) as client:
            answer = client.post(
                "http://testserver/api/v1/auth/token",
                json={
                    "username": self.world.usernames[role],
                    "password": PASSWORD,
                    "device_id": str(self.world.devices[role]),
                },
            )
        assert answer.status_code == 200, answer.text
        self.headers[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _tolerated(failure: BaseException) -> bool:
    """A "negative" request that was not really invalid as sent.

    This test replaces every generated Authorization header with a valid token,
    and the server ignores query parameters it does not know (docs/api.md); a
    negative case whose only violations were those is a valid request.
    """
    if not isinstance(failure, AcceptedNegativeData):
        return False
    violations = [
        line.strip()[2:]
        for line in str(failure).splitlines()
        if line.strip().startswith("- ") and ":" in line
    ]
    return bool(violations) and all(
        v == "query: violates `additionalProperties`"
        or (v.startswith("header:") and "Authorization" in v)
        for v in violations
    )


def _send(sessions: Sessions, case: Any, role: str | None, mode: GenerationMode) -> None:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    if role is not None:
        headers.update(sessions.headers[role])
    response = case.call(headers=headers)
    try:
        case.validate_response(
            response, checks=NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
        )
    except FailureGroup as group:
        if not all(_tolerated(failure) for failure in group.exceptions):
            raise
    # A logout (or a token revoked by a generated call) ended this role's session.
    ended = response.status_code == 401 or (
        case.path == "/api/v1/auth/logout" and response.status_code == 204
    )
    if role is not None and ended:
        sessions.refresh(role)


def _caller(operation: Any, everyone: list[str | None]) -> st.SearchStrategy[str | None]:
    """Mostly a role the route admits (to reach its success), sometimes anyone."""
    admitted = MATRIX[(operation.method.upper(), operation.path)]
    if admitted is None:
        return st.sampled_from(everyone)
    return st.one_of(
        st.sampled_from(sorted(admitted)),
        st.sampled_from(sorted(admitted)),
        st.sampled_from(everyone),
    )


@pytest.fixture
async def fuzzed_app(app: Litestar, runtime: Runtime, world: World) -> Any:
    """The seeded app, its pooled connections closed: the fuzzing runs them in its own loop."""
    await runtime.db.dispose()
    yield app
    # Connections the fuzzing opened belong to schemathesis' event loop: close them there.
    asgi._get_portal().call(runtime.db.dispose)


@pytest.mark.slow
async def test_seeded_fuzzing_finds_no_server_error_and_no_undocumented_answer(
    fuzzed_app: Litestar, world: World
) -> None:
    schema = schemathesis.openapi.from_asgi("/docs/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60, len(operations)
    sessions = Sessions(fuzzed_app, world)
    values = real_values(world)
    # Callers: every role, and nobody.
    callers: list[str | None] = [*ROLES, None]

    @settings(
        max_examples=ROUNDS,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def rounds(data: st.DataObject) -> None:
        for operation in operations:
            mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
            try:
                case = data.draw(operation.as_strategy(generation_mode=mode))
            except Exception:  # noqa: S112 - an operation with nothing to negate
                continue
            if mode is GenerationMode.POSITIVE:
                _seed_ids(case, values, data)
            _send(sessions, case, data.draw(_caller(operation, callers)), mode)

    rounds()


def test_real_values_name_real_parameters() -> None:
    """Every path parameter the app declares has seeded values (so none stays random)."""
    import re

    names = {n for _, path in MATRIX for n in re.findall(r"\{(\w+)\}", path)}
    fake = World.__new__(World)
    for field in World.__dataclass_fields__:
        setattr(fake, field, uuid.uuid4())
    fake.duplicate_ids = ("a", "b")  # type: ignore[assignment]
    assert names <= set(real_values(fake))
