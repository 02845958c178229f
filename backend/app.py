"""The application factory: wiring only."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
)
from litestar.openapi.spec import Components, SecurityScheme
from litestar.routes import HTTPRoute

from backend.audit.controllers import AuditController
from backend.audit.services import AUDIT_STAGE
from backend.auth.controllers import AuthController, DeviceController, provide_principal
from backend.auth.limits import AnonymousRateLimit, RateLimits
from backend.auth.middleware import BearerAuthenticationMiddleware
from backend.cases.controllers import CaseController
from backend.cases.projection import TRIAGE_STAGE, TriageProjector
from backend.consent.services import CONSENT_STAGE, ConsentProjector
from backend.console.glue import CONSOLE_PATH, template_config
from backend.console.router import console_routes
from backend.contract import docs_router, polish_openapi, response_media_types
from backend.crypto.keys import KeyFileError, load_key_file
from backend.crypto.passwords import PasswordHasher
from backend.db.engine import Database
from backend.db.outbox import install as install_commit_stages
from backend.db.session import provide_db_session, settle_side_effects
from backend.directory.controllers import DirectoryController
from backend.duplicates.background import start_matching, stop_matching
from backend.duplicates.controllers import DuplicateController
from backend.duplicates.encodings import DuplicateProjector
from backend.health.controllers import HealthController, MetricsController
from backend.i18n import get_catalogs
from backend.instruments.controllers import InstrumentController
from backend.investigations.controllers import (
    DisclosureRequestController,
    InvestigationController,
    LegalBasisController,
)
from backend.investigations.projection import LINKAGE_STAGE, LinkageProjector
from backend.investigations.reach import REACH_STAGE
from backend.linkage.controllers import AddressController
from backend.metrics import install_audit_counter
from backend.observability import configure_logging, with_request_context
from backend.operations.controllers import OperationController
from backend.problems import exception_handlers
from backend.referrals.controllers import ReferralController
from backend.runtime import Runtime
from backend.screenings.controllers import ScreeningController
from backend.settings import Settings
from backend.summary.controllers import SummaryController
from backend.sync.controllers import SyncController
from backend.sync.repositories import CHANGE_LOG_STAGE
from backend.transfers.controllers import TransferController
from backend.users.controllers import UserController
from backend.web import (
    LanternRequest,
    RefuseControlCharacters,
    SecurityHeaders,
    repair_options_handlers,
)
from screening import InstrumentDefinitionError, load_registry

__all__ = ["ConfigurationError", "build_runtime", "create_app"]

API_VERSION = "1.0.0"
DOCS_PATH = "/docs"
_PUBLIC_PATHS = [f"^{DOCS_PATH}", "^/health/"]

logger = logging.getLogger("lantern.app")


class LanternApp(Litestar):
    """Litestar, wrapped in what must hold for every answer, errors and 404s included.

    From the outside in: a request id and the access log; security headers;
    the side effects of a failed request, run before its answer leaves.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await with_request_context(self._secured, scope, receive, send)

    async def _settled(self, scope: Any, receive: Any, send: Any) -> None:
        await settle_side_effects(self.state.runtime.db, super().__call__, scope, receive, send)

    async def _secured(self, scope: Any, receive: Any, send: Any) -> None:
        settings: Settings = self.state.runtime.settings
        secured = SecurityHeaders(
            self._settled,
            docs_path=DOCS_PATH,
            console_path=CONSOLE_PATH,
            hsts=settings.mode == "production",
        )
        await secured(scope, receive, send)


class ConfigurationError(Exception):
    """The server refuses to start with this configuration."""


def build_runtime(settings: Settings) -> Runtime:
    """Load keys and open the database for one worker.

    Raises:
        ConfigurationError: missing or unsafe keys, or development keys in production.
    """
    try:
        keyring = load_key_file(settings.effective_key_file)
    except KeyFileError as exc:
        raise ConfigurationError(str(exc)) from None
    if settings.mode == "production" and keyring.development:
        raise ConfigurationError(
            f"refusing to start in production mode with development keys from "
            f"{settings.effective_key_file}: create production keys with "
            "`lantern keys init --production` and point LANTERN_KEY_FILE at them"
        )
    try:
        instruments = load_registry()
    except InstrumentDefinitionError as exc:
        raise ConfigurationError(f"an instrument definition is invalid: {exc}") from None
    runtime = Runtime(
        settings=settings,
        keyring=keyring,
        db=Database(settings),
        hasher=PasswordHasher(settings),
        instruments=instruments,
        catalogs=get_catalogs(),
    )
    # What a transaction writes last, in this order, and who keeps a view of synced
    # records: registered here, explicitly, never by importing a module.
    install_commit_stages(
        [
            AUDIT_STAGE,
            CONSENT_STAGE,
            LINKAGE_STAGE,
            REACH_STAGE,
            CHANGE_LOG_STAGE,
            TRIAGE_STAGE,
        ]
    )
    return replace(
        runtime,
        projectors=(
            ConsentProjector(),
            LinkageProjector(runtime),
            DuplicateProjector(runtime),
            TriageProjector(),
        ),
    )


def _public_operations(app: Litestar) -> set[tuple[str, str]]:
    """(method, path template) of every route that needs no token."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, _) in route.route_handler_map.items():
            if handler.opt.get("exclude_from_auth"):
                found.add((method, route.path_format))
    return found


def _provide_runtime(state: State) -> Runtime:
    runtime: Runtime = state.runtime
    return runtime


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Litestar:
    """Build the Litestar application.

    Args:
        settings: Configuration; read from the environment when omitted.
        runtime: A prepared runtime (tests); built from ``settings`` when omitted.
    """
    settings = settings or (runtime.settings if runtime else Settings())
    configure_logging(settings.log_level)
    install_audit_counter()
    runtime = runtime or build_runtime(settings)

    async def _dispose(app: Litestar) -> None:
        await app.state.runtime.db.dispose()

    # Signed-in requests count per account and device (in the authentication
    # middleware), anonymous ones per client network (here): phones share addresses.
    limits = RateLimits(
        anonymous_per_minute=settings.rate_limit_per_minute,
        device_per_minute=settings.rate_limit_device_per_minute,
    )
    middleware: list[Any] = [
        AnonymousRateLimit(limits, exclude=tuple(_PUBLIC_PATHS)),
        RefuseControlCharacters,
    ]
    # The console authenticates by its session cookie (backend/console), not by bearer token.
    middleware.append(
        DefineMiddleware(
            BearerAuthenticationMiddleware, exclude=[*_PUBLIC_PATHS, f"^{CONSOLE_PATH}"]
        )
    )
    render_plugins: list[OpenAPIRenderPlugin] = [JsonRenderPlugin()]
    if settings.serve_docs:
        render_plugins = [
            SwaggerRenderPlugin(path=["/", "/swagger"]),
            RedocRenderPlugin(path="/redoc"),
        ]

    app = LanternApp(
        route_handlers=[
            AuthController,
            DeviceController,
            UserController,
            OperationController,
            AuditController,
            InstrumentController,
            ScreeningController,
            SyncController,
            CaseController,
            DirectoryController,
            ReferralController,
            TransferController,
            SummaryController,
            DuplicateController,
            AddressController,
            InvestigationController,
            DisclosureRequestController,
            LegalBasisController,
            HealthController,
            MetricsController,
            *console_routes(),
        ],
        template_config=template_config(),
        dependencies={
            "runtime": Provide(_provide_runtime, sync_to_thread=False),
            "db_session": Provide(provide_db_session),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        state=State({"runtime": runtime, "rate_limits": limits}),
        middleware=middleware,
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        cors_config=CORSConfig(allow_origins=settings.cors_origins)
        if settings.cors_origins
        else None,
        request_max_body_size=settings.max_request_body_bytes,
        request_class=LanternRequest,
        # Responses hold tokens and personal data: no cache keeps them (RFC 6749 5.1
        # for tokens). Routes that want revalidation (instruments) say so themselves.
        cache_control=CacheControlHeader(no_store=True),
        openapi_config=OpenAPIConfig(
            title="Lantern API",
            version=API_VERSION,
            description=(
                "The server behind Lantern's caseworker app. Errors are RFC 9457 problem "
                "details (`application/problem+json`) whose `type` is a stable "
                "`urn:lantern:problem:<slug>`."
            ),
            path=DOCS_PATH,
            openapi_router=docs_router(DOCS_PATH),
            render_plugins=render_plugins,
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="Opaque token"
                    )
                }
            ),
            security=[{"bearer": []}],
        ),
        on_startup=[start_matching],
        on_shutdown=[stop_matching, _dispose],
        logging_config=None,
        debug=False,
    )
    polish_openapi(
        app.openapi_schema, public=_public_operations(app), media_types=response_media_types(app)
    )
    repair_options_handlers(app)
    return app
