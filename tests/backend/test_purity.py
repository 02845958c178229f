"""The pure packages import only the standard library, their own libraries and themselves.

Import-linter forbids the backend modules it is told about; this test also
catches a module added later, by reading every import of every file.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

BACKEND = Path(__file__).parents[2] / "backend"

#: package (dotted) -> the third-party libraries it may use.
PURE = {
    "backend.linkage.addresses": {"base58_bech32", "Crypto"},
    "backend.statistics": {"numpy", "scipy"},
    "backend.matching": {"anyascii", "myanmartools", "para", "pythainlp"},
}


def _modules(package: str) -> list[Path]:
    return sorted((BACKEND.parent / package.replace(".", "/")).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports"
            names.add(node.module or "")
    return names


CASES = [
    pytest.param(package, path, id=f"{package}:{path.name}")
    for package in PURE
    for path in _modules(package)
]


@pytest.mark.parametrize("package", PURE)
def test_each_pure_package_has_modules(package: str) -> None:
    assert len(_modules(package)) >= 3


@pytest.mark.parametrize(("package", "path"), CASES)
def test_module_imports_only_stdlib_its_libraries_and_itself(package: str, path: Path) -> None:
    allowed = PURE[package] | set(sys.stdlib_module_names)
    foreign = {
        name
        for name in _imports(path)
        if name.split(".")[0] not in allowed and not name.startswith(package)
    }
    assert not foreign, f"{path.name} imports {sorted(foreign)}"
