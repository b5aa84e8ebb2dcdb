"""``recast watch``: tell the team, once, when a model it uses is going away.

The watch set (what the team uses: a scan of its code, the gateway's traffic, an explicit
list) is compared each run with the catalog and with the last snapshot kept in the store;
new deprecations, moved or newly exact shutdown dates, new replacements, retirements and
horizon crossings (90, 30, 7, 1 days) become alerts, sent once per channel (Slack, Teams,
Discord, a signed JSON webhook, e-mail, GitHub issues, stdout), with a calendar to match.

Example::

    >>> from recast.store import open_store
    >>> from recast.watch import load_watch_config, watch
    >>> result = watch(load_watch_config("recast.toml"), store=open_store())
    >>> [d.status for d in result.deliveries]  # doctest: +SKIP
    ['sent', 'sent']
"""

from __future__ import annotations

from recast.watch._alert import Alert, DatedFact, audition_command, build_alert, dated_fact
from recast.watch._changes import EVENT_KINDS, Event, changes, horizon, snapshot
from recast.watch._config import (
    CHANNEL_TYPES,
    DEFAULT_HORIZONS,
    WatchConfig,
    find_watch_config,
    load_watch_config,
    parse_watch_config,
    read_watch_config,
)
from recast.watch._deliver_http import DeliveryError
from recast.watch._formats import (
    WEBHOOK_SCHEMA_VERSION,
    delivery_id,
    discord_payload,
    email_html,
    signature,
    slack_payload,
    teams_payload,
    webhook_document,
)
from recast.watch._ics import write_watch_calendar
from recast.watch._watch import (
    WATCH_SCHEMA_VERSION,
    Delivery,
    WatchResult,
    build_watch_set,
    refresh_catalog,
    watch,
)
from recast.watch._watchset import Location, Traffic, WatchEntry, WatchSet

__all__ = [
    "CHANNEL_TYPES",
    "DEFAULT_HORIZONS",
    "EVENT_KINDS",
    "WATCH_SCHEMA_VERSION",
    "WEBHOOK_SCHEMA_VERSION",
    "Alert",
    "DatedFact",
    "Delivery",
    "DeliveryError",
    "Event",
    "Location",
    "Traffic",
    "WatchConfig",
    "WatchEntry",
    "WatchResult",
    "WatchSet",
    "audition_command",
    "build_alert",
    "build_watch_set",
    "changes",
    "dated_fact",
    "delivery_id",
    "discord_payload",
    "email_html",
    "find_watch_config",
    "horizon",
    "load_watch_config",
    "parse_watch_config",
    "read_watch_config",
    "refresh_catalog",
    "signature",
    "slack_payload",
    "snapshot",
    "teams_payload",
    "watch",
    "webhook_document",
    "write_watch_calendar",
]
