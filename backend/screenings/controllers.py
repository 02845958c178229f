"""HTTP handlers for ``/api/v1/screenings``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import JSONBody

from backend.access.guards import allow
from backend.access.roles import Role
from backend.deps import RuntimeDep
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses
from backend.screenings.schemas import AssessRequest
from backend.screenings.services import ScreeningAssessor
from screening import Assessment

__all__ = ["ScreeningController"]


class ScreeningController(Controller):
    """Screenings."""

    path = "/api/v1/screenings"
    tags = ["screenings"]

    @post(
        "/assess",
        guards=[allow(Role.CASEWORKER, Role.COORDINATOR)],
        status_code=200,
        summary="Preview the triage assessment of a set of answers (nothing is stored)",
        description=(
            "Triage, not a verdict: the band is `strong_indicators`, `some_indicators` or "
            "`insufficient_information`, never 'not a victim'. Texts are localised from "
            "`Accept-Language`, each with its review status. Invalid answers are a 422 "
            "problem with one error per answer (`answers.<item_id>`, `code`)."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def assess(
        self, request: Request[Any, Any, Any], data: JSONBody[AssessRequest], runtime: RuntimeDep
    ) -> Response[Assessment]:
        assessor = ScreeningAssessor(runtime.instruments)
        assessment = assessor.assess(
            instrument_key=data.instrument_key,
            instrument_version=data.instrument_version,
            answers=data.answers,
            as_of=data.as_of,
        )
        language = runtime.catalogs.negotiate(request.headers.get("accept-language"))
        localized = assessor.localized(assessment, runtime.catalogs.translator(language))
        return Response(localized, headers={"Content-Language": language.replace("_", "-")})
