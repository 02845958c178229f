"""screening/ is pure: it imports only the stdlib, msgspec and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "screening"
ALLOWED = {"msgspec", "screening"}
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports"
            names.add((node.module or "").split(".")[0])
    return names


def test_the_package_has_modules() -> None:
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_stdlib_msgspec_and_screening(path: Path) -> None:
    foreign = {n for n in _imports(path) if n not in ALLOWED and n not in sys.stdlib_module_names}
    assert not foreign, f"{path.name} imports {sorted(foreign)}"


@pytest.mark.parametrize("forbidden", ["backend", "litestar", "sqlalchemy", "babel"])
def test_no_module_imports_the_service_stack(forbidden: str) -> None:
    assert not [p.name for p in MODULES if forbidden in _imports(p)]
