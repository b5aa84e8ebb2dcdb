"""Which importers exist, how a path is matched to one, and the full build."""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path
from types import ModuleType

from recast.catalog._catalog import Catalog
from recast.catalog.sources._common import ImportResult
from recast.errors import SourceError

#: Importer name -> module (under recast.catalog.sources), in build order.
IMPORTERS: dict[str, str] = {
    "modeldeprecations.dev": "modeldeprecations",
    "deprecations.info": "deprecations_info",
    "litellm": "litellm",
    "models.dev": "modelsdev",
    "overlay": "overlay",
}

#: Folder names of each source inside a lifecycle data folder (``../shared/data/lifecycle``).
FOLDERS: dict[str, tuple[str, ...]] = {
    "modeldeprecations.dev": ("modeldeprecations.dev", "modeldeprecations"),
    "deprecations.info": ("deprecations-rss", "deprecations.info", "deprecations-info"),
    "litellm": ("litellm",),
    "models.dev": ("models.dev", "modelsdev"),
}

#: Detection order for a bare path: most specific file formats first.
_DETECT_ORDER = ("litellm", "deprecations.info", "models.dev", "modeldeprecations.dev")


def module(name: str) -> ModuleType:
    """The importer module for a source name; raise SourceError listing known names."""
    if name not in IMPORTERS:
        raise SourceError(f"Unknown source {name!r}. Known sources: {', '.join(IMPORTERS)}.")
    return importlib.import_module(f"recast.catalog.sources.{IMPORTERS[name]}")


def detect_source(path: Path) -> str:
    """Name the source format of a file or folder; raise SourceError if none matches."""
    if not path.exists():
        raise SourceError(f"Source path {str(path)!r} does not exist.")
    if path.is_dir():
        for name, folders in FOLDERS.items():
            if path.name in folders:
                return name
    for name in _DETECT_ORDER:
        if module(name).detect(path):
            return name
    raise SourceError(
        f"Cannot tell which source format {str(path)!r} is in. Expected a LiteLLM JSON file, "
        "a deprecations.info JSON feed, a models.dev TOML tree or modeldeprecations.dev YAML."
    )


def import_source(path: Path, name: str | None = None) -> ImportResult:
    """Read one source file or folder (format auto-detected unless ``name`` is given)."""
    from recast.catalog.sources._common import snapshot_date

    name = name or detect_source(path)
    result: ImportResult = module(name).load(path)
    if result.as_of is None:
        result.as_of = snapshot_date(path)
    return result


def load_all(root: Path, *, overlay: bool | Path = True) -> list[ImportResult]:
    """Read every source found in a lifecycle data folder, plus the overlay (the bundled
    one, or the folder ``overlay`` names)."""
    results = []
    for name, folders in FOLDERS.items():
        for folder in folders:
            if (root / folder).exists():
                results.append(import_source(root / folder, name))
                break
    if not results:
        raise SourceError(
            f"No lifecycle sources found in {str(root)!r} "
            f"(looked for {', '.join(f for fs in FOLDERS.values() for f in fs)})."
        )
    if overlay:
        results.append(module("overlay").load(overlay if isinstance(overlay, Path) else None))
    return results


def build_catalog(root: Path, *, overlay: bool | Path = True) -> Catalog:
    """Compile every source in ``root`` (and the overlay) into one catalog."""
    from recast.catalog._compile import compile_catalog

    results = load_all(root, overlay=overlay)
    for result in results:  # record paths relative to the data folder, not this machine's
        path = Path(result.path)
        if path.is_absolute() and path.is_relative_to(root.resolve()):
            result.path = path.relative_to(root.resolve()).as_posix()
        elif result.source == "overlay":
            result.path = "recast/catalog/data/overlay"
        elif not path.is_absolute():
            with contextlib.suppress(ValueError):
                result.path = path.resolve().relative_to(root.resolve()).as_posix()
    return compile_catalog(results)
