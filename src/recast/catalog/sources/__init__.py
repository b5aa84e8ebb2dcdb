"""Importers that turn each lifecycle source into catalog records, and the catalog build.

One module per source: :mod:`~recast.catalog.sources.modeldeprecations`,
:mod:`~recast.catalog.sources.litellm`, :mod:`~recast.catalog.sources.modelsdev`,
:mod:`~recast.catalog.sources.deprecations_info` and the hand-curated
:mod:`~recast.catalog.sources.overlay`. Each has ``NAME``, ``LICENCE``, ``URL``,
``detect(path)`` and ``load(path) -> ImportResult``.

These modules need PyYAML / tomllib, so only the build and ``recast models sync``
import them; loading the bundled catalog does not.

Build the bundled catalog::

    python -m recast.catalog.sources build ../shared/data/lifecycle
"""

from __future__ import annotations

from recast.catalog.sources._registry import (
    IMPORTERS,
    build_catalog,
    detect_source,
    import_source,
    load_all,
)

__all__ = ["IMPORTERS", "build_catalog", "detect_source", "import_source", "load_all"]
