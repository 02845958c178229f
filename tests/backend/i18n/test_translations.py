"""Shipped translations: complete or visibly falling back, placeholders intact, status shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from backend.i18n.catalogs import (
    DOMAIN,
    LOCALES_DIR,
    Catalogs,
    available_languages,
    check_catalogs,
    extract_template,
    language_tag,
)
from screening import load_registry, localize
from tests.conftest import Accounts

NON_ENGLISH = [lang for lang in available_languages() if lang != "en"]


def _pair_texts(source: Any, translated: Any) -> list[tuple[dict[str, str], dict[str, str]]]:
    """Walk two localised documents in parallel, pairing their {text, status} objects."""
    if isinstance(source, dict):
        if set(source) == {"text", "status"}:
            return [(source, translated)]
        assert set(source) == set(translated)
        return [p for k in source for p in _pair_texts(source[k], translated[k])]
    if isinstance(source, list):
        assert len(source) == len(translated)
        return [p for a, b in zip(source, translated, strict=True) for p in _pair_texts(a, b)]
    assert source == translated  # ids, types, ranges and conditions are not translated
    return []


def test_at_least_six_languages_besides_english_are_shipped() -> None:
    assert len(NON_ENGLISH) >= 6, NON_ENGLISH


def test_every_catalogue_parses_and_keeps_its_placeholders() -> None:
    report = check_catalogs(load_registry())
    assert report.errors == []


def test_the_template_holds_every_source_string(tmp_path: Path) -> None:
    """Fails when someone adds a text without running `make locales`."""
    from babel.messages.pofile import read_po

    fresh = extract_template(tmp_path)
    with fresh.open("rb") as a, (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as b:
        wanted = {(m.context, m.id) for m in read_po(a) if m.id}
        committed = {(m.context, m.id) for m in read_po(b) if m.id}
    assert wanted == committed, "run `make locales` and commit locales/"


@pytest.mark.parametrize("language", NON_ENGLISH)
async def test_every_text_is_translated_or_visibly_falls_back_to_english(
    client: AsyncClient, accounts: Accounts, language: str
) -> None:
    _, headers = await accounts.signed_in("caseworker")
    url = "/api/v1/instruments/scam_compound"
    english = (await client.get(url, headers=headers, params={"locale": "en"})).json()
    response = await client.get(url, headers=headers, params={"locale": language})
    assert response.status_code == 200
    assert response.headers["content-language"].replace("-", "_") == language
    localised = response.json()
    for per_locale in ("locale", "translation"):
        english.pop(per_locale)
        localised.pop(per_locale)
    pairs = _pair_texts(english, localised)
    assert pairs
    for source, shown in pairs:
        assert shown["status"] in {"reviewed", "unreviewed", "fallback"}, shown
        if shown["status"] == "fallback":
            assert shown["text"] == source["text"]
        else:
            assert shown["text"].strip()


@pytest.mark.parametrize("language", NON_ENGLISH)
async def test_unreviewed_translations_say_so(
    client: AsyncClient, accounts: Accounts, language: str
) -> None:
    _, headers = await accounts.signed_in("coordinator")
    listing = (await client.get("/api/v1/instruments", headers=headers)).json()
    status = {loc["code"]: loc for loc in listing[0]["locales"]}[language_tag(language)]
    document = (
        await client.get(
            "/api/v1/instruments/scam_compound", headers=headers, params={"locale": language}
        )
    ).json()
    counts = document["translation"]
    if status["status"] != "reviewed":
        assert counts["unreviewed"] + counts["fallback"] > 0
        assert status["unreviewed_messages"] + status["untranslated_messages"] > 0


@pytest.mark.parametrize("language", NON_ENGLISH)
async def test_problems_are_localised_from_accept_language(
    client: AsyncClient, language: str
) -> None:
    english = await client.get("/api/v1/me")
    localised = await client.get(
        "/api/v1/me", headers={"Accept-Language": f"{language.replace('_', '-')}, en;q=0.5"}
    )
    assert localised.headers["content-language"] == language_tag(language)
    assert localised.json()["type"] == english.json()["type"]
    assert localised.json()["title"] != english.json()["title"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("*", "en"),
        ("de-DE, fr;q=0.9", "en"),
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("en;q=0.5, th;q=0.9", "th"),
        ("zh-CN", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh_Hans", "zh-Hans"),
        ("tl", "fil"),
        ("id;q=0, en", "en"),
        ("garbage;;;q=abc,,,", "en"),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    catalogs = Catalogs.load()
    if expected != "en" and expected not in catalogs.translators:
        pytest.skip(f"{expected} not shipped")
    assert catalogs.negotiate(header) == expected


async def test_an_explicit_locale_accepts_the_same_aliases_as_accept_language(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, headers = await accounts.signed_in("caseworker")
    response = await client.get(
        "/api/v1/instruments/scam_compound", headers=headers, params={"locale": "tl"}
    )
    assert response.status_code == 200
    assert response.headers["content-language"] == "fil"


def _snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mode, p.stat().st_size, p.stat().st_mtime_ns)
        for p in [root, *root.rglob("*")]
    }


def test_start_up_writes_nothing_and_works_on_a_read_only_install(tmp_path: Path) -> None:
    """Workers starting together, or on a read-only image, only ever read ``locales/``."""
    import shutil

    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = _snapshot(root)
    try:
        catalogs = Catalogs.load(root)
        assert _snapshot(root) == before
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert set(catalogs.translators) == {"en", *map(language_tag, available_languages(root))}
    title = load_registry().get("scam_compound", 1).title
    assert catalogs.translator("vi").lookup("scam_compound.title", title) is not None


def test_fuzzy_is_served_unreviewed_and_missing_falls_back_to_english(tmp_path: Path) -> None:
    """Review status comes straight from the ``fuzzy`` flag of the ``.po``."""
    import shutil

    from babel.messages.pofile import read_po, write_po

    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root)
    po = root / "vi" / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    by_context = {m.context: m for m in catalog if m.id}
    reviewed = by_context["scam_compound.title"]
    reviewed.flags.discard("fuzzy")
    unreviewed = by_context["scam_compound.description"]
    unreviewed.flags.add("fuzzy")
    missing = by_context["scam_compound.answer.yes"]
    missing.string = ""
    with po.open("wb") as fh:
        write_po(fh, catalog)

    catalogs = Catalogs.load(root)
    translator = catalogs.translator("vi")
    assert translator.lookup(reviewed.context, reviewed.id) == (reviewed.string, True)
    assert translator.lookup(unreviewed.context, unreviewed.id) == (unreviewed.string, False)
    assert translator.lookup(missing.context, missing.id) is None
    instrument = load_registry().get("scam_compound", 1)
    document = localize(instrument, translator.lookup, locale="vi")
    assert (document.title.text, document.title.status) == (reviewed.string, "reviewed")
    assert document.description.status == "unreviewed"
    assert document.answer_labels.yes.status == "fallback"
    assert document.answer_labels.yes.text == missing.id
    language = catalogs.languages["vi"]
    assert language.untranslated == sum(1 for m in catalog if m.id and not m.string)
    assert missing.id in {m.id for m in catalog if m.id and not m.string}
    assert language.unreviewed == sum(1 for m in catalog if m.id and m.fuzzy and m.string)


@pytest.mark.parametrize("header", ["zh-Hans", "zh-CN", "zh", "zh-Hans-CN, en;q=0.5"])
async def test_content_language_is_a_bcp47_tag(
    client: AsyncClient, accounts: Accounts, header: str
) -> None:
    if "zh_Hans" not in available_languages():
        pytest.skip("zh_Hans not shipped")
    problem = await client.get("/api/v1/me", headers={"Accept-Language": header})
    assert problem.status_code == 401
    assert problem.headers["content-language"] == "zh-Hans"
    _, headers = await accounts.signed_in("caseworker")
    url = "/api/v1/instruments/scam_compound"
    document = await client.get(url, headers={**headers, "Accept-Language": header})
    assert document.headers["content-language"] == "zh-Hans"
    assert document.json()["locale"] == "zh-Hans"


async def test_the_instruments_listing_names_languages_by_bcp47_tag(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Every listed code is a tag, and asking for it serves that same tag."""
    _, headers = await accounts.signed_in("caseworker")
    listing = (await client.get("/api/v1/instruments", headers=headers)).json()
    codes = [loc["code"] for loc in listing[0]["locales"]]
    assert sorted(codes) == sorted(["en", *map(language_tag, NON_ENGLISH)])
    for code in codes:
        assert "_" not in code
        response = await client.get(
            "/api/v1/instruments/scam_compound", headers=headers, params={"locale": code}
        )
        assert response.headers["content-language"] == code
