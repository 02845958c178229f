"""The public contract: the OpenAPI document, rendered the same way every time."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Litestar, Request, Router
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from backend.errors import NotFound

__all__ = [
    "docs_router",
    "openapi_document",
    "polish_openapi",
    "render_openapi",
    "response_media_types",
]

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


_JSON = "application/json"
_NOT_FOUND_HANDLER = "handle_schema_path_not_found"


def response_media_types(app: Litestar) -> dict[tuple[str, str], tuple[str, ...]]:
    """Routes that answer in more than JSON: ``opt["media_types"]`` of their handler.

    A handler that chooses its media type per request (a CSV or YAML export)
    declares every type it may send; the document then lists each of them.
    """
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if types := handler.opt.get("media_types"):
                found[(method, route.path_format)] = tuple(types)
    return found


def polish_openapi(
    document: OpenAPI,
    *,
    public: set[tuple[str, str]],
    media_types: dict[tuple[str, str], tuple[str, ...]] | None = None,
) -> None:
    """Make the generated document say what the server does.

    - Public operations (``public``: method and path) need no token: their
      ``security`` is empty, overriding the document's bearer requirement.
    - Every 4xx and 5xx answer is ``application/problem+json`` (Litestar
      documents its own 400 as plain JSON).
    - A success that may come in several media types (``media_types``, see
      :func:`response_media_types`) lists each: JSON keeps its schema, YAML is
      a mapping, the others are text.
    - Schemas of inputs that refuse unknown fields say ``additionalProperties: false``.
    """
    problem = Reference(ref="#/components/schemas/Problem")
    media_types = media_types or {}
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
                if isinstance(response, Reference):
                    continue
                if status[0] in "45":
                    response.content = {_PROBLEM: OpenAPIMediaType(schema=problem)}
                elif status[0] == "2" and (method.upper(), path) in media_types:
                    response.content = _media(response.content, media_types[(method.upper(), path)])
    strict = _strict_structs()
    schemas = document.components.schemas if document.components else None
    for name, schema in (schemas or {}).items():
        if isinstance(schema, Schema) and name.rsplit("_", 1)[-1] in strict:
            schema.additional_properties = False


def _media(
    content: dict[str, OpenAPIMediaType] | None, types: tuple[str, ...]
) -> dict[str, OpenAPIMediaType]:
    json_schema = (content or {}).get(_JSON)
    text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
    # A YAML document is a mapping (a GraphSense TagPack): readers parse it as one.
    yaml = OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT))
    chosen = {_JSON: json_schema or text, "application/yaml": yaml}
    return {t: chosen.get(t, text) for t in types}


async def _refuse_unknown_docs_paths(request: Request[Any, Any, Any]) -> None:
    """An unknown path under the docs is a 404 problem like any other, not an HTML page."""
    if request.route_handler.handler_name == _NOT_FOUND_HANDLER:
        raise NotFound()


def docs_router(path: str) -> Router:
    """The router the OpenAPI document and its viewers are served from."""
    return Router(
        path,
        route_handlers=[],
        include_in_schema=False,
        before_request=_refuse_unknown_docs_paths,
    )


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
