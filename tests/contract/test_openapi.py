"""The committed OpenAPI document is the contract: it changes only on purpose."""

from __future__ import annotations

import json
from pathlib import Path

from litestar import Litestar

from backend.contract import render_openapi

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_app(app: Litestar) -> None:
    generated = render_openapi(app)
    assert COMMITTED.exists(), "run `make openapi` and commit openapi/openapi.json"
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "the API contract changed: review the change, then run `make openapi` and commit it"
    )


def test_every_operation_documents_its_problem_responses(app: Litestar) -> None:
    document = json.loads(render_openapi(app))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where} has no summary"
            problems = {
                status: response
                for status, response in operation["responses"].items()
                if "application/problem+json" in response.get("content", {})
            }
            if path.startswith("/api/"):
                assert "422" in problems and "429" in problems, f"{where} documents no problems"
                if "security" not in operation or operation["security"]:
                    assert "401" in problems, f"{where} does not document 401"
