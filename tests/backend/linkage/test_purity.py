"""backend.linkage.addresses is pure: the stdlib, its two codec libraries and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[3] / "backend" / "linkage" / "addresses"
MODULES = sorted(PACKAGE.rglob("*.py"))
ALLOWED = {"base58_bech32", "Crypto"}


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
    assert len(MODULES) >= 8


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_only_stdlib_the_codecs_and_itself(path: Path) -> None:
    foreign = {
        name
        for name in _imports(path)
        if name.split(".")[0] not in ALLOWED | set(sys.stdlib_module_names)
        and not name.startswith("backend.linkage.addresses")
    }
    assert not foreign, f"{path.name} imports {sorted(foreign)}"
