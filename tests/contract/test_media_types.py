"""What the server sends is what the contract says: media types, one charset, the docs pages."""

from __future__ import annotations

import json
from pathlib import Path

from httpx import AsyncClient

from tests.backend.world import World
from tests.conftest import assert_problem

CONTRACT = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text(encoding="utf-8")
)
EXPORT = "/api/v1/investigations/{investigation_id}/exports/{export_format}"
SUMMARY = "/api/v1/operations/{operation_id}/summary"


def _documented(path: str) -> set[str]:
    return set(CONTRACT["paths"][path]["get"]["responses"]["200"]["content"])


def test_the_contract_lists_the_export_and_summary_media_types() -> None:
    assert _documented(EXPORT) == {"text/csv", "application/yaml"}
    assert _documented(SUMMARY) == {"application/json", "text/csv"}


async def test_exports_carry_their_media_type_and_one_charset(
    client: AsyncClient, world: World
) -> None:
    base = f"/api/v1/investigations/{world.investigation_id}/exports"
    headers = world.headers["investigator"]
    csv = await client.get(f"{base}/csv", headers=headers)
    assert csv.status_code == 200, csv.text
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    tagpack = await client.get(f"{base}/tagpack", headers=headers)
    assert tagpack.status_code == 200, tagpack.text
    assert tagpack.headers["content-type"] == "application/yaml; charset=utf-8"


async def test_the_summary_as_csv_carries_one_charset(client: AsyncClient, world: World) -> None:
    url = f"/api/v1/operations/{world.operation_id}/summary"
    headers = world.headers["coordinator"]
    by_query = await client.get(url, headers=headers, params={"format": "csv"})
    by_accept = await client.get(url, headers={**headers, "Accept": "text/csv"})
    for answer in (by_query, by_accept):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    as_json = await client.get(url, headers=headers)
    assert as_json.headers["content-type"] == "application/json"


async def test_swagger_is_served_where_its_link_points(client: AsyncClient) -> None:
    for path in ("/docs/", "/docs/swagger", "/docs/redoc"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html"), path


async def test_an_unknown_docs_path_is_a_problem_not_an_html_page(client: AsyncClient) -> None:
    for path in ("/docs/nothing", "/docs/openapi.yaml", "/docs/swagger/../../etc"):
        assert_problem(await client.get(path), 404, "not-found")
