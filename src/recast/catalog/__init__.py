"""The lifecycle catalog: every model on every platform, with dates, replacements and prices.

Imports nothing else of recast's (only the leaf modules ``recast.errors`` and
``recast._home``), so every other package can build on it.

Example::

    >>> from recast.catalog import lookup
    >>> offering = lookup("gpt-4.5-preview")
    >>> offering.lifecycle.shutdown_on.on.isoformat()
    '2025-07-14'
"""

from __future__ import annotations

from recast.catalog._catalog import (
    Catalog,
    bundled_path,
    load_catalog,
    reset_catalog_cache,
    user_cache_path,
)
from recast.catalog._model import (
    STATE_SEVERITY,
    STATES,
    Capabilities,
    Conflict,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    Precision,
    Prices,
    Replacement,
    Source,
    State,
)
from recast.catalog._platforms import PLATFORMS, Platform, home_platform
from recast.catalog._query import OfferingStatus, list_offerings, search, status_of, upcoming
from recast.catalog._resolve import ParsedId, lookup, parse_id, resolve

__all__ = [
    "PLATFORMS",
    "STATES",
    "STATE_SEVERITY",
    "Capabilities",
    "Catalog",
    "Conflict",
    "Lifecycle",
    "LifecycleDate",
    "Model",
    "Offering",
    "OfferingStatus",
    "ParsedId",
    "Platform",
    "Precision",
    "Prices",
    "Replacement",
    "Source",
    "State",
    "bundled_path",
    "home_platform",
    "list_offerings",
    "load_catalog",
    "lookup",
    "parse_id",
    "reset_catalog_cache",
    "resolve",
    "search",
    "status_of",
    "upcoming",
    "user_cache_path",
]
