"""HTTP handlers for ``/api/v1/instruments``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter

from backend.access.guards import allow
from backend.access.roles import Role
from backend.instruments.schemas import InstrumentSummary
from backend.instruments.services import InstrumentService
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses
from screening import LocalizedInstrument

__all__ = ["InstrumentController", "provide_instrument_service"]


def provide_instrument_service(state: State) -> InstrumentService:
    """One service per worker, so localised documents are cached across requests."""
    service: InstrumentService | None = state.get("instrument_service")
    if service is None:
        runtime = state.runtime
        service = InstrumentService(runtime.instruments, runtime.catalogs)
        state.instrument_service = service
    return service


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates


class InstrumentController(Controller):
    """Screening instruments for caseworkers' phones and coordinators."""

    path = "/api/v1/instruments"
    tags = ["instruments"]
    guards = [allow(Role.CASEWORKER, Role.COORDINATOR)]
    dependencies = {"instruments": Provide(provide_instrument_service, sync_to_thread=False)}

    @get(
        "/",
        summary="Instruments, their versions and languages",
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def list_instruments(
        self, instruments: NamedDependency[InstrumentService]
    ) -> list[InstrumentSummary]:
        return instruments.summaries()

    @get(
        "/{key:str}",
        summary="One instrument version, localised, to run offline",
        description=(
            "`locale` picks a shipped language; without it the language is negotiated from "
            "`Accept-Language` (English by default). Every text carries its `status`: "
            "`source`, `reviewed`, `unreviewed` (show the mark) or `fallback` (English shown "
            "because the translation is missing). Send `If-None-Match` with the last `ETag` "
            "to get 304 when nothing changed."
        ),
        responses={
            **problem_responses(*AUTHENTICATED_PROBLEMS, 404),
            304: ResponseSpec(
                data_container=None,
                description="Not modified: the `If-None-Match` ETag is current (no body).",
                generate_examples=False,
            ),
        },
        cache_control=CacheControlHeader(private=True, no_cache=True),
    )
    async def get_instrument(
        self,
        request: Request[Any, Any, Any],
        key: Annotated[str, PathParameter(max_length=64)],
        instruments: NamedDependency[InstrumentService],
        version: Annotated[int | None, QueryParameter(ge=1, le=10_000)] = None,
        locale: Annotated[
            str | None,
            QueryParameter(max_length=35, pattern=r"^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*$"),
        ] = None,
    ) -> Response[LocalizedInstrument]:
        instrument = instruments.get(key, version)
        language = instruments.resolve_language(locale, request.headers.get("accept-language"))
        document = instruments.localized(instrument, language)
        headers = {
            "ETag": document.etag,
            "Content-Language": language.replace("_", "-"),
            "Vary": "Accept-Language, Authorization",
        }
        if _etag_matches(request.headers.get("if-none-match"), document.etag):
            return Response(content=b"", status_code=304, headers=headers)  # type: ignore[arg-type]
        return Response(
            content=document.body,  # type: ignore[arg-type]
            media_type="application/json",
            headers=headers,
        )
