"""``recast watch --ics FILE``: the watch set's shutdowns as a calendar that updates in place.

One event per watched offering with a shutdown date (per platform: each has its own
clock), a ``VALARM`` at each horizon, stable UIDs, and a ``SEQUENCE`` that goes up each
time an event's date moves, remembered in the store so calendar clients apply the update.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from recast.catalog import Catalog, event_uid, shutdown_calendar
from recast.errors import ConfigError
from recast.watch._watchset import WatchEntry

ICS_STATE = "watch:ics"


def sequences_for(entries: Sequence[WatchEntry], store: Any | None) -> dict[str, int]:
    """Each event's SEQUENCE: the last one, plus one when its date changed since then.

    With a store the new dates and numbers are kept for next time; without one (a dry
    run) they are only computed.
    """
    known: dict[str, Any] = dict((store.get_state(ICS_STATE, {}) if store else {}) or {})
    out: dict[str, int] = {}
    for entry in entries:
        shutdown = entry.offering.lifecycle.shutdown_on
        if shutdown is None:
            continue
        uid = event_uid(entry.offering)
        stamp = f"{shutdown.on.isoformat()}/{shutdown.precision}"
        last = known.get(uid) or {}
        sequence = int(last.get("sequence", 0))
        if last and last.get("date") != stamp:
            sequence += 1
        out[uid] = sequence
        known[uid] = {"date": stamp, "sequence": sequence}
    if store is not None:
        store.set_state(ICS_STATE, known)
    return out


def write_watch_calendar(
    path: str | os.PathLike[str],
    entries: Sequence[WatchEntry],
    *,
    catalog: Catalog,
    as_of: date,
    horizons: Sequence[int],
    store: Any | None,
) -> int:
    """Write the calendar atomically (temporary file, then rename); return the event count."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ConfigError(f"--ics {str(path)!r} is a folder; give a file name such as models.ics.")
    offerings = [e.offering for e in entries if e.offering.lifecycle.shutdown_on is not None]
    text = shutdown_calendar(
        offerings,
        catalog=catalog,
        as_of=as_of,
        name="Model shutdowns we depend on (recast watch)",
        alarms=horizons,
        sequences=sequences_for(entries, store),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(offerings)
