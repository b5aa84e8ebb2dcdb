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

from typing import TYPE_CHECKING, Any

from recast.catalog._advice import Advice, Step, advise, live_replacement
from recast.catalog._catalog import (
    Catalog,
    bundled_path,
    load_catalog,
    reset_catalog_cache,
    user_cache_path,
)
from recast.catalog._model import (
    LIFECYCLE_FACTS,
    STATE_SEVERITY,
    STATES,
    Capabilities,
    Claim,
    Conflict,
    Fact,
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
from recast.catalog._platforms import (
    PLATFORMS,
    Platform,
    check_platform,
    home_platform,
    platform_rank,
)
from recast.catalog._query import OfferingStatus, list_offerings, search, status_of, upcoming
from recast.catalog._resolve import ParsedId, lookup, parse_id, resolve, suggest

if TYPE_CHECKING:
    from recast.catalog._calendar import event_uid, shutdown_calendar
    from recast.catalog._sync import SourceSync, SyncReport, sync

#: Public names whose modules load on first use (``sync`` pulls in tarfile and
#: tempfile): ``recast models show`` should not pay for them at start-up.
_LAZY = {
    "event_uid": "recast.catalog._calendar",
    "shutdown_calendar": "recast.catalog._calendar",
    "SourceSync": "recast.catalog._sync",
    "SyncReport": "recast.catalog._sync",
    "sync": "recast.catalog._sync",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'recast.catalog' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "LIFECYCLE_FACTS",
    "PLATFORMS",
    "STATES",
    "STATE_SEVERITY",
    "Advice",
    "Capabilities",
    "Catalog",
    "Claim",
    "Conflict",
    "Fact",
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
    "SourceSync",
    "State",
    "Step",
    "SyncReport",
    "advise",
    "bundled_path",
    "check_platform",
    "event_uid",
    "home_platform",
    "list_offerings",
    "live_replacement",
    "load_catalog",
    "lookup",
    "parse_id",
    "platform_rank",
    "reset_catalog_cache",
    "resolve",
    "search",
    "shutdown_calendar",
    "status_of",
    "suggest",
    "sync",
    "upcoming",
    "user_cache_path",
]
