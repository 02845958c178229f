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
    compile_catalogs,
    extract_template,
)
from screening import load_registry
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
    status = {loc["code"]: loc for loc in listing[0]["locales"]}[language]
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
    assert localised.headers["content-language"] == language
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
        ("zh-CN", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
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


def test_compiled_catalogues_are_rebuilt_when_a_po_changes(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root, ignore=shutil.ignore_patterns("*.mo", "*.review.json"))
    assert set(compile_catalogs(root)) == set(available_languages(root))
    assert compile_catalogs(root) == []  # up to date
    if NON_ENGLISH:
        po = root / NON_ENGLISH[0] / "LC_MESSAGES" / f"{DOMAIN}.po"
        po.touch()
        import os

        stat = po.stat()
        os.utime(po, (stat.st_atime + 10, stat.st_mtime + 10))
        assert compile_catalogs(root) == [NON_ENGLISH[0]]


async def test_an_explicit_locale_accepts_the_same_aliases_as_accept_language(
    client: AsyncClient, accounts: Accounts
) -> None:
    _, headers = await accounts.signed_in("caseworker")
    response = await client.get(
        "/api/v1/instruments/scam_compound", headers=headers, params={"locale": "tl"}
    )
    assert response.status_code == 200
    assert response.headers["content-language"] == "fil"


def test_a_reader_never_sees_a_half_written_catalogue(tmp_path: Path) -> None:
    """Workers starting together compile and read the same files at once."""
    import shutil
    import threading

    from babel.messages.mofile import read_mo

    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root, ignore=shutil.ignore_patterns("*.mo", "*.review.json"))
    compile_catalogs(root)
    mo = root / NON_ENGLISH[0] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    failures: list[str] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            try:
                with mo.open("rb") as fh:
                    assert len(list(read_mo(fh))) > 100
            except Exception as exc:
                failures.append(type(exc).__name__)

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for _ in range(15):
            compile_catalogs(root, force=True)
    finally:
        done.set()
        reader.join()
    assert failures == []


def test_a_read_only_install_uses_its_compiled_catalogues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import shutil

    import backend.i18n.catalogs as catalogs_module

    root = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, root, ignore=shutil.ignore_patterns("*.mo", "*.review.json"))
    compile_catalogs(root)
    for po in root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):  # newer sources, as after an upgrade
        stat = po.stat()
        os.utime(po, (stat.st_atime + 10, stat.st_mtime + 10))

    def read_only(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Read-only file system", str(path))

    monkeypatch.setattr(catalogs_module, "_write_atomically", read_only)
    catalogs = Catalogs.load(root)
    assert set(catalogs.translators) == {"en", *available_languages(root)}
    # With nothing compiled at all, the failure is not hidden.
    for mo in root.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"):
        mo.unlink()
    with pytest.raises(PermissionError):
        Catalogs.load(root)
