"""Schemathesis over the committed contract: no input, valid or not, reaches a 500.

Every operation in ``openapi/openapi.json`` is fed generated requests, both
schema-conforming (positive) and schema-violating (negative), as a role the
route admits. Every answer must be below 500, and every error a problem.
The CI profile is short; ``make test-long`` (``LANTERN_TEST_PROFILE=long``) or
``LANTERN_FUZZ_EXAMPLES=500 pytest tests/contract`` runs a long one.
tests/contract/test_fuzz_seeded.py fuzzes the app itself, in process, on seeded data.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.backend.test_authorization_matrix import MATRIX
from tests.conftest import Accounts
from tests.profile import size

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
SCHEMA = schemathesis.openapi.from_dict(json.loads(COMMITTED.read_text(encoding="utf-8")))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES = int(os.environ.get("LANTERN_FUZZ_EXAMPLES", size(ci=12, long=500)))


def _role_for(method: str, path: str) -> str | None:
    roles = MATRIX[(method.upper(), path.rstrip("/") or "/")]
    return None if roles is None else sorted(roles)[0]


def _takes_input(operation: Any) -> bool:
    """Whether a request to ``operation`` can be wrong: parameters, a body or a token."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody") or raw.get("security") != [])


CASES = [
    pytest.param(operation, mode, id=f"{operation.method.upper()} {operation.path}-{mode}")
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _takes_input(operation)
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_no_request_reaches_a_server_error(
    client: AsyncClient,
    accounts: Accounts,
    operation: Any,
    mode: GenerationMode,
    data: st.DataObject,
) -> None:
    role = _role_for(operation.method, operation.path)
    auth: dict[str, str] = {}
    if role is not None:
        cache = accounts.__dict__.setdefault("fuzz_headers", {})
        if role not in cache:
            _, cache[role] = await accounts.signed_in(role)
        auth = cache[role]
    case = data.draw(operation.as_strategy(generation_mode=mode))
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = {
        k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "authorization"
    }
    headers.update(auth)
    response = await client.request(
        kwargs["method"],
        kwargs["url"],
        headers=headers,
        params=kwargs.get("params"),
        content=kwargs.get("data") if "data" in kwargs else None,
        json=kwargs.get("json") if "json" in kwargs else None,
    )
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), (
            response.text
        )
