"""The instrument registry: loading every version, lookups, and file naming."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening import InstrumentDefinitionError, UnknownInstrument, load_registry
from tests.screening.support import builtin

V1 = (Path(__file__).parents[2] / "screening/instruments/scam_compound/v1.toml").read_text()


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _v2() -> str:
    return V1.replace("version = 1", "version = 2", 1)


def test_builtin_registry_has_scam_compound_v1() -> None:
    registry = load_registry()
    assert registry.keys() == ("scam_compound",)
    assert 1 in registry.versions("scam_compound")


def test_get_without_version_returns_the_latest(tmp_path: Path) -> None:
    registry = load_registry(
        directory=_tree(tmp_path, {"scam_compound/v1.toml": V1, "scam_compound/v2.toml": _v2()})
    )
    assert registry.get("scam_compound").version == 2


def test_old_versions_stay_loadable(tmp_path: Path) -> None:
    registry = load_registry(
        directory=_tree(tmp_path, {"scam_compound/v1.toml": V1, "scam_compound/v2.toml": _v2()})
    )
    assert registry.versions("scam_compound") == (1, 2)
    assert registry.get("scam_compound", 1) == builtin()


@pytest.mark.parametrize(("key", "version"), [("no_such", None), ("scam_compound", 99)])
def test_unknown_instrument_is_a_clear_error(key: str, version: int | None) -> None:
    with pytest.raises(UnknownInstrument, match=key) as info:
        load_registry().get(key, version)
    assert (info.value.key, info.value.version) == (key, version)


def test_versions_of_an_unknown_key_is_an_error() -> None:
    with pytest.raises(UnknownInstrument):
        load_registry().versions("no_such")


@pytest.mark.parametrize(
    ("files", "path", "reason"),
    [
        ({"scam_compound/version1.toml": V1}, "$", "v<version>.toml"),
        ({"other_name/v1.toml": V1}, "key", "folder"),
        ({"scam_compound/v3.toml": V1}, "version", "file name"),
    ],
    ids=["bad_file_name", "key_not_folder", "version_not_file_name"],
)
def test_misplaced_definition_is_rejected(
    tmp_path: Path, files: dict[str, str], path: str, reason: str
) -> None:
    with pytest.raises(InstrumentDefinitionError) as info:
        load_registry(directory=_tree(tmp_path, files))
    [problem] = info.value.problems
    assert (problem.path, reason in problem.reason) == (path, True)


def test_one_broken_file_stops_the_start_up(tmp_path: Path) -> None:
    broken = V1.replace('text = "Do you feel safe right now?"', 'text = ""')
    with pytest.raises(InstrumentDefinitionError, match=r"scam_compound/v2\.toml"):
        load_registry(
            directory=_tree(
                tmp_path,
                {
                    "scam_compound/v1.toml": V1,
                    "scam_compound/v2.toml": broken.replace("version = 1", "version = 2", 1),
                },
            )
        )


def test_non_toml_files_and_private_folders_are_ignored(tmp_path: Path) -> None:
    registry = load_registry(
        directory=_tree(
            tmp_path,
            {
                "scam_compound/v1.toml": V1,
                "scam_compound/README.md": "notes",
                "_drafts/v1.toml": "not even toml",
            },
        )
    )
    assert registry.keys() == ("scam_compound",)
