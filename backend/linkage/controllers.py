"""HTTP handlers for ``/api/v1/addresses``."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from backend.access.guards import allow
from backend.access.roles import Role
from backend.linkage.schemas import NormalizeRequest, NormalizeResponse
from backend.linkage.services import normalize_address
from backend.problems import AUTHENTICATED_PROBLEMS, problem_responses

__all__ = ["AddressController"]


class AddressController(Controller):
    """Wallet addresses."""

    path = "/api/v1/addresses"
    tags = ["addresses"]

    @post(
        "/normalize",
        # validation only: it reads and stores nothing, so every role may use it
        guards=[allow(*Role)],
        status_code=200,
        summary="Every chain an address is valid on, with its canonical spelling (nothing is stored)",
        description=(
            "Outer whitespace and invisible characters are stripped. An address valid on "
            "several chains (legacy `1…`/`3…` on Bitcoin and Bitcoin Cash) gives one candidate "
            "per chain; none is guessed. With `chain`, only that chain's candidate. An address "
            "valid on no chain, or not on `chain`, is a 422 `validation` problem whose error on "
            "`address` has a `code`: `bad_checksum`, `wrong_length`, `unknown_format`, "
            "`mixed_case_checksum`, `wrong_chain`, `invalid_character`, `mixed_case` or "
            "`malformed`."
        ),
        responses=problem_responses(*AUTHENTICATED_PROBLEMS),
    )
    async def normalize(self, data: JSONBody[NormalizeRequest]) -> NormalizeResponse:
        return NormalizeResponse(candidates=normalize_address(data.address, data.chain))
