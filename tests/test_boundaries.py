"""The package layout is the architecture: check that imports respect it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "recast"
LEAVES = {"recast.errors", "recast._home"}

#: Which of our packages each area may import (besides itself and the leaves).
ALLOWED: dict[str, set[str]] = {
    "catalog": set(),
    "providers": {"catalog"},
    "store": {"catalog"},
    "scan": {"catalog"},
    "audition": {"catalog", "providers", "store"},
    "gateway": {"catalog", "providers", "store"},
    "rehearse": {"catalog", "providers", "store", "audition"},
    "watch": {"catalog", "providers", "store", "scan"},
    "plan": {"catalog", "providers", "store", "scan", "watch"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "recast" or name.startswith("recast.")}


def _area_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


@pytest.mark.parametrize("area", sorted(ALLOWED))
def test_area_imports_only_what_it_may(area: str) -> None:
    folder = SRC / area
    if not folder.exists():
        pytest.skip(f"recast.{area} does not exist yet")
    allowed = ALLOWED[area] | {area}
    for path in folder.rglob("*.py"):
        for module in _imports(path):
            if module in LEAVES:
                continue
            target = _area_of(module)
            assert target in allowed, f"{path.relative_to(SRC)} imports {module}"


def test_nothing_imports_cli() -> None:
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts:
            continue
        for module in _imports(path):
            assert _area_of(module) != "cli", f"{path.relative_to(SRC)} imports {module}"


def test_only_cli_imports_click_or_typer() -> None:
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"click", "typer"}, (
                    f"{path.relative_to(SRC)} imports {name}"
                )
