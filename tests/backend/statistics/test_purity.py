"""backend.statistics is pure: the stdlib, numpy, scipy and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[3] / "backend" / "statistics"
MODULES = sorted(PACKAGE.rglob("*.py"))
ALLOWED = {"numpy", "scipy"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports"
            names.add(node.module or "")
    return names


def test_the_package_has_modules() -> None:
    assert len(MODULES) >= 5


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_only_stdlib_numpy_scipy_and_itself(path: Path) -> None:
    foreign = {
        name
        for name in _imports(path)
        if name.split(".")[0] not in ALLOWED | set(sys.stdlib_module_names)
        and not name.startswith("backend.statistics")
    }
    assert not foreign, f"{path.name} imports {sorted(foreign)}"
