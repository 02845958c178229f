"""Serving instruments to phones: localised, with review status, cacheable by ETag."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Accounts, assert_problem

URL = "/api/v1/instruments"


@pytest.fixture
async def caseworker(accounts: Accounts) -> dict[str, str]:
    _, headers = await accounts.signed_in("caseworker")
    return headers


def _texts(node: Any) -> list[dict[str, str]]:
    """Every {text, status} object in a document, in order."""
    if isinstance(node, dict):
        if set(node) == {"text", "status"}:
            return [node]
        return [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


async def test_list_names_versions_and_languages_with_review_status(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    response = await client.get(URL, headers=caseworker)
    assert response.status_code == 200
    [instrument] = [i for i in response.json() if i["key"] == "scam_compound"]
    assert instrument["versions"] == [1, 2, 3]
    assert instrument["latest_version"] == 3
    statuses = {loc["code"]: loc["status"] for loc in instrument["locales"]}
    assert statuses["en"] == "source"
    assert all(
        s in {"source", "reviewed", "partially_reviewed", "unreviewed"} for s in statuses.values()
    )


async def test_english_document_is_the_source(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    response = await client.get(f"{URL}/scam_compound", headers=caseworker)
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"
    body = response.json()
    assert body["key"] == "scam_compound" and body["version"] == 3  # v3 is the default
    texts = _texts(body)
    assert len(texts) > 100
    assert {t["status"] for t in texts} == {"source"}
    # Immediate needs come first, once the language to talk in is known.
    first = [item["id"] for item in body["sections"][0]["items"][:3]]
    assert first == ["preferred_language", "needs_interpreter", "safe_now"]
    items = {i["id"]: i for section in body["sections"] for i in section["items"]}
    assert items["free_to_leave"]["reverse_keyed"] is True
    assert items["observed_age"]["observer"] is True


async def test_v1_stays_served_as_published(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    response = await client.get(f"{URL}/scam_compound", headers=caseworker, params={"version": 1})
    body = response.json()
    assert body["version"] == 1
    assert body["sections"][0]["items"][0]["id"] == "safe_now"
    items = [i for section in body["sections"] for i in section["items"]]
    assert len(items) == 68
    assert not any("reverse_keyed" in i or "observer" in i for i in items)


async def test_etag_lets_a_phone_skip_an_unchanged_download(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    first = await client.get(f"{URL}/scam_compound", headers=caseworker, params={"version": 1})
    etag = first.headers["etag"]
    again = await client.get(
        f"{URL}/scam_compound", headers={**caseworker, "If-None-Match": etag}, params={"version": 1}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    stale = await client.get(
        f"{URL}/scam_compound", headers={**caseworker, "If-None-Match": '"something-else"'}
    )
    assert stale.status_code == 200


async def test_each_language_has_its_own_etag(
    client: AsyncClient, caseworker: dict[str, str], shipped_languages: list[str]
) -> None:
    tags = set()
    for language in shipped_languages:
        response = await client.get(
            f"{URL}/scam_compound", headers=caseworker, params={"locale": language}
        )
        tags.add(response.headers["etag"])
    assert len(tags) == len(shipped_languages)


async def test_unknown_version_is_404_and_unknown_locale_is_422(
    client: AsyncClient, caseworker: dict[str, str]
) -> None:
    assert_problem(
        await client.get(f"{URL}/scam_compound", headers=caseworker, params={"version": 99}),
        404,
        "not-found",
    )
    assert_problem(
        await client.get(f"{URL}/no_such_instrument", headers=caseworker), 404, "not-found"
    )
    body = assert_problem(
        await client.get(f"{URL}/scam_compound", headers=caseworker, params={"locale": "xx"}),
        422,
        "validation",
    )
    assert body["errors"][0]["field"] == "locale"  # type: ignore[index]
    bad = await client.get(f"{URL}/scam_compound", headers=caseworker, params={"version": 0})
    assert_problem(bad, 422, "validation")
