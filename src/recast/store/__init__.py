"""What must outlive a process: captured exchanges, gateway keys, audition runs, watch state.

One code path serves SQLite (the embedded default, WAL mode) and PostgreSQL (shared
by several gateway replicas). Opening a store applies pending migrations.

Example::

    >>> from recast.store import CapturedExchange, open_store
    >>> store = open_store()                      # sqlite:///<recast home>/recast.db
    >>> store.capture_many([CapturedExchange(
    ...     requested_model="gpt-4.1", endpoint="/v1/chat/completions",
    ...     request={"model": "gpt-4.1", "messages": []})])
    1
"""

from __future__ import annotations

from recast.store._capture import CaptureWriter
from recast.store._engine import default_url, parse_url, safe_url
from recast.store._migrations import MIGRATIONS
from recast.store._redact import (
    DEFAULT_REDACTOR,
    PII_PATTERNS,
    REDACTED,
    SECRET_PATTERNS,
    SENSITIVE_FIELDS,
    RedactionRule,
    Redactor,
)
from recast.store._store import KEY_SCHEME, Store, open_store
from recast.store._types import (
    ALERT_STATUSES,
    ROUTES,
    RUN_STATUSES,
    AuditionReportRecord,
    AuditionResult,
    AuditionRun,
    CapturedExchange,
    ExchangePair,
    GatewayKey,
    JsonValue,
    ModelUsage,
    WatchAlert,
    new_id,
    utcnow,
)

__all__ = [
    "ALERT_STATUSES",
    "DEFAULT_REDACTOR",
    "KEY_SCHEME",
    "MIGRATIONS",
    "PII_PATTERNS",
    "REDACTED",
    "ROUTES",
    "RUN_STATUSES",
    "SECRET_PATTERNS",
    "SENSITIVE_FIELDS",
    "AuditionReportRecord",
    "AuditionResult",
    "AuditionRun",
    "CaptureWriter",
    "CapturedExchange",
    "ExchangePair",
    "GatewayKey",
    "JsonValue",
    "ModelUsage",
    "RedactionRule",
    "Redactor",
    "Store",
    "WatchAlert",
    "default_url",
    "new_id",
    "open_store",
    "parse_url",
    "safe_url",
    "utcnow",
]
