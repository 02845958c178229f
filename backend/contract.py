"""The public contract: the OpenAPI document, rendered the same way every time."""

from __future__ import annotations

import json

import msgspec
from litestar import Litestar
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, Reference, Schema

__all__ = ["openapi_document", "polish_openapi", "render_openapi"]

_PROBLEM = "application/problem+json"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _strict_structs() -> set[str]:
    """Names of every Struct that refuses unknown fields."""
    names: set[str] = set()
    pending: list[type[msgspec.Struct]] = [msgspec.Struct]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__struct_config__.forbid_unknown_fields:
            names.add(cls.__name__)
    return names


def polish_openapi(document: OpenAPI, *, public: set[tuple[str, str]]) -> None:
    """Make the generated document say what the server does.

    - Public operations (``public``: method and path) need no token: their
      ``security`` is empty, overriding the document's bearer requirement.
    - Every 4xx and 5xx answer is ``application/problem+json`` (Litestar
      documents its own 400 as plain JSON).
    - Schemas of inputs that refuse unknown fields say ``additionalProperties: false``.
    """
    problem = Reference(ref="#/components/schemas/Problem")
    for path, item in (document.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if operation is None:
                continue
            if (method.upper(), path) in public:
                operation.security = []
            if not operation.responses:
                continue
            for status, response in operation.responses.items():
                if status[0] in "45" and not isinstance(response, Reference):
                    response.content = {_PROBLEM: OpenAPIMediaType(schema=problem)}
    strict = _strict_structs()
    schemas = document.components.schemas if document.components else None
    for name, schema in (schemas or {}).items():
        if isinstance(schema, Schema) and name.rsplit("_", 1)[-1] in strict:
            schema.additional_properties = False


def openapi_document(app: Litestar) -> dict[str, object]:
    """The OpenAPI document of ``app`` as plain data."""
    return app.openapi_schema.to_schema()


def render_openapi(app: Litestar | None = None) -> str:
    """The committed form: sorted keys, two-space indent, final newline.

    Builds an app with throw-away development keys when none is given, so the
    document can be produced on a machine with no data directory.
    """
    if app is None:
        app = _contract_app()
    return json.dumps(openapi_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _contract_app() -> Litestar:
    import tempfile
    from pathlib import Path

    from backend.app import create_app
    from backend.crypto.keys import create_key_file
    from backend.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "contract.key"
        create_key_file(key_file, development=True)
        settings = Settings(
            data_dir=Path(tmp), key_file=key_file, database_url="sqlite+aiosqlite:///:memory:"
        )
        return create_app(settings)
