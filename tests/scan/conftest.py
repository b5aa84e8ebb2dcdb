"""Fixtures of the scan core tests: a small, fixed catalog and a tree writer."""

from __future__ import annotations

from pathlib import Path

import pytest
from scan_catalog import TreeWriter, build_catalog

from recast.catalog import Catalog
from recast.catalog._catalog import write_catalog_file


@pytest.fixture
def catalog() -> Catalog:
    """A fresh copy of the scan tests' catalog."""
    return build_catalog()


@pytest.fixture
def installed_catalog(recast_home: Path) -> Catalog:
    """The scan tests' catalog, written where ``load_catalog()`` finds it (for the CLI)."""
    built = build_catalog()
    write_catalog_file(built, recast_home / "catalog.json")
    from recast.catalog import reset_catalog_cache

    reset_catalog_cache()
    return built


@pytest.fixture
def make_tree(tmp_path: Path) -> TreeWriter:
    """Write ``{relative path: text or bytes}`` under a fresh folder and return the folder."""

    def write(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "tree"
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(content.encode("utf-8"))
        return root

    return write
