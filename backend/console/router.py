"""The console's routes under ``/console``, behind its session middleware."""

from __future__ import annotations

from litestar import Router
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from backend.console import (
    admin,
    casework,
    coordinator,
    disclosures,
    duplicates,
    graph,
    investigator,
    operations,
    pages,
    review,
)
from backend.console.glue import CONSOLE_PATH, STATIC, ConsoleSession, console_error
from backend.errors import LanternError

__all__ = ["console_routes"]


def console_routes() -> list[ControllerRouterHandler]:
    """The console's pages, and its static files (served from Lantern itself)."""
    pages_router = Router(
        path=CONSOLE_PATH,
        route_handlers=[
            pages.login_form,
            pages.login,
            pages.logout,
            pages.language,
            pages.home,
            pages.my_devices,
            *coordinator.HANDLERS,
            *casework.HANDLERS,
            *admin.HANDLERS,
            *investigator.HANDLERS,
            *graph.HANDLERS,
            *operations.HANDLERS,
            *duplicates.HANDLERS,
            *disclosures.HANDLERS,
            *review.HANDLERS,
        ],
        middleware=[ConsoleSession],
        exception_handlers={LanternError: console_error},
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=f"{CONSOLE_PATH}/static",
        directories=[STATIC],
        include_in_schema=False,
        opt={"public": True},
        name="console.static",
    )
    return [pages_router, static]
