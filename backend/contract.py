"""The public contract: the OpenAPI document, rendered the same way every time."""

from __future__ import annotations

import json

from litestar import Litestar

__all__ = ["openapi_document", "render_openapi"]


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
