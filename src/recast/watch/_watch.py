"""``recast watch``: refresh the catalog, find what changed for the models in use, alert once.

One run: (1) refresh the catalog (offline: the cached or bundled one, said in one line);
(2) build the watch set; (3) compare each offering's snapshot with the one the store kept
and add the horizon crossings; (4) for each channel, claim each event in the store, send
the claimed ones as one alert per offering, and record ``sent`` or ``failed``; (5) keep the
new snapshots. A failed delivery stays ``failed`` and is sent again by the next run; a
``sent`` one never is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from recast.catalog import Catalog, load_catalog
from recast.errors import ConfigError, SourceError
from recast.watch._alert import Alert, build_alert
from recast.watch._changes import Event, changes, horizon, snapshot
from recast.watch._channels import Channel, build_channel
from recast.watch._config import WatchConfig
from recast.watch._deliver_http import DeliveryError
from recast.watch._watchset import (
    WatchEntry,
    WatchSet,
    add_findings,
    add_models,
    add_traffic,
    finding_rows,
    read_scan_json,
    scan_paths,
)

WATCH_SCHEMA_VERSION = 1
SNAPSHOT_STATE = "watch:snapshots"
#: A claim older than this is taken to be left by a watcher that died mid-send.
CLAIM_LEASE = timedelta(minutes=15)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Delivery:
    """How one alert fared on one channel."""

    channel: str
    subject: str
    events: tuple[str, ...]
    status: str  # sent | failed | would-send
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        return {
            "channel": self.channel,
            "subject": self.subject,
            "events": list(self.events),
            "status": self.status,
            "error": self.error,
        }


@dataclass
class WatchResult:
    """What one watch run saw and did; :attr:`exit_code` is 2 when any delivery failed."""

    as_of: date
    watch_set: WatchSet
    alerts: list[Alert] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    catalog_note: str | None = None
    catalog_built_at: str = ""
    dry_run: bool = False
    ics_path: str | None = None
    statuses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every delivery went through; 2 when one failed (it is retried next run)."""
        return 2 if self.failures else 0

    def to_dict(self) -> dict[str, Any]:
        """The ``recast watch --format json`` document (``schema_version`` 1)."""
        by_alert: dict[str, list[dict[str, Any]]] = {}
        for delivery in self.deliveries:
            by_alert.setdefault(delivery.subject, []).append(delivery.to_dict())
        return {
            "schema_version": WATCH_SCHEMA_VERSION,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "catalog": {"built_at": self.catalog_built_at, "note": self.catalog_note},
            "watch_set": self.statuses,
            "unresolved": list(self.watch_set.unresolved),
            "alerts": [
                {**alert.to_dict(), "deliveries": by_alert.get(alert.subject, [])}
                for alert in self.alerts
            ],
            "failures": list(self.failures),
            "ics_path": self.ics_path,
            "exit_code": self.exit_code,
        }


def refresh_catalog(sync: bool, progress: Progress | None = None) -> tuple[Catalog, str | None]:
    """Sync the catalog; offline, the cached or bundled one and a one-line note why."""
    if not sync:
        return load_catalog(), None
    from recast.catalog import reset_catalog_cache
    from recast.catalog import sync as sync_catalog

    if progress:
        progress("syncing the catalog")
    try:
        sync_catalog()
    except SourceError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reset_catalog_cache()
        return load_catalog(), f"catalog sync failed ({first}); using the catalog at hand"
    return load_catalog(), None


def build_watch_set(
    config: WatchConfig,
    *,
    as_of: date,
    catalog: Catalog,
    store: Any | None,
    progress: Progress | None = None,
    scans: list[Any] | None = None,
) -> WatchSet:
    """The watch set from the config's scan paths, scan JSON files, traffic and models.

    ``scans``, when given, receives the ``ScanResult`` of the paths scanned (``recast plan``
    builds its ``--fix`` diffs from it).
    """
    watch_set = WatchSet()
    if config.paths:
        if progress:
            progress(f"scanning {', '.join(config.paths)}")
        paths = [config.resolve_path(p) for p in config.paths]
        scanned = scan_paths(paths, as_of, catalog)
        if scans is not None:
            scans.append(scanned)
        add_findings(watch_set, finding_rows(scanned.findings), catalog)
    for path in config.scan_json:
        add_findings(watch_set, read_scan_json(config.resolve_path(path)), catalog)
    if store is not None and config.traffic_days:
        if progress:
            progress(f"reading {config.traffic_days} days of captured traffic")
        add_traffic(watch_set, store, as_of, config.traffic_days, catalog)
    add_models(watch_set, config.models, catalog, config.source or "watch config")
    return watch_set


def _events_now(
    entries: Sequence[WatchEntry],
    before: Mapping[str, Any],
    as_of: date,
    horizons: Sequence[int],
    catalog: Catalog,
) -> tuple[dict[str, list[Event]], dict[str, Any]]:
    """Events per entry key, and the snapshots to keep."""
    events: dict[str, list[Event]] = {}
    snapshots: dict[str, Any] = {}
    for entry in entries:
        now = snapshot(entry.offering, as_of, catalog)
        snapshots[entry.key] = now
        found = changes(entry.key, before.get(entry.key), now)
        crossing = horizon(entry.key, now, as_of, horizons)
        if crossing is not None:
            found.append(crossing)
        if found:
            events[entry.key] = found
    return events, snapshots


def _retries(store: Any, channel: str, keys: set[str]) -> dict[str, list[Event]]:
    """Failed (or abandoned) deliveries on ``channel`` for offerings still watched."""
    out: dict[str, list[Event]] = {}
    stale = datetime.now(timezone.utc) - CLAIM_LEASE
    for row in store.list_alerts(channel=channel):
        abandoned = (
            row.status == "claimed" and row.claimed_at is not None and row.claimed_at < stale
        )
        if row.status != "failed" and not abandoned:
            continue
        data = row.event if isinstance(row.event, dict) else None
        if data is None or data.get("entry") not in keys:
            continue
        out.setdefault(str(data["entry"]), []).append(Event.from_dict(data))
    return out


def _deliver(
    channel: Channel,
    entry: WatchEntry,
    events: Sequence[Event],
    *,
    store: Any,
    run: str,
    dry_run: bool,
    sent: set[str],
    make_alert: Callable[[WatchEntry, Sequence[Event]], Alert],
) -> tuple[Alert | None, Delivery | None]:
    """Claim, send and record one offering's events on one channel."""
    if dry_run:
        pending = [e for e in events if e.key not in sent]
        if not pending:
            return None, None
        alert = make_alert(entry, pending)
        return alert, Delivery(
            channel.name, alert.subject, tuple(e.key for e in pending), "would-send"
        )
    claimed = [
        e
        for e in events
        if store.claim_alert(
            e.key, channel.name, {"entry": entry.key, **e.to_dict()}, run, lease=CLAIM_LEASE
        )
    ]
    if not claimed:
        return None, None
    alert = make_alert(entry, claimed)
    keys = tuple(e.key for e in claimed)
    try:
        channel.send(alert)
    except DeliveryError as exc:
        for key in keys:
            store.finish_alert(key, channel.name, run, error=str(exc))
        return alert, Delivery(channel.name, alert.subject, keys, "failed", str(exc))
    for key in keys:
        store.finish_alert(key, channel.name, run)
    return alert, Delivery(channel.name, alert.subject, keys, "sent")


def watch(
    config: WatchConfig,
    *,
    store: Any,
    as_of: date | None = None,
    catalog: Catalog | None = None,
    sync: bool = True,
    dry_run: bool = False,
    only_channels: Sequence[str] = (),
    ics: str | os.PathLike[str] | None = None,
    quiet_stdout: bool = False,
    progress: Progress | None = None,
) -> WatchResult:
    """Run one watch: see the module docstring. ``store`` is an open :class:`recast.store.Store`.

    Raise :class:`ConfigError` for a bad config or an unknown ``only_channels`` name;
    delivery failures do not raise: they are in :attr:`WatchResult.failures`.
    """
    from recast.store import new_id

    day = as_of or date.today()
    note = None
    if catalog is None:
        catalog, note = refresh_catalog(sync, progress)
    watch_set = build_watch_set(config, as_of=day, catalog=catalog, store=store, progress=progress)
    entries = watch_set.sorted()
    before = store.get_state(SNAPSHOT_STATE, {}) or {}
    events, snapshots = _events_now(entries, before, day, config.horizons, catalog)
    result = WatchResult(
        day, watch_set, catalog_note=note, catalog_built_at=catalog.built_at, dry_run=dry_run
    )
    run = new_id()
    channels = _channels(config, only_channels, store=store, run=run, quiet=quiet_stdout)
    by_key = {entry.key: entry for entry in entries}
    store_hint = config.store

    def make_alert(entry: WatchEntry, found: Sequence[Event]) -> Alert:
        return build_alert(entry, found, day, catalog, store_hint)

    seen_alerts: dict[str, Alert] = {}
    for channel in channels:
        sent = {a.alert_key for a in store.list_alerts(channel=channel.name, status="sent")}
        retry = _retries(store, channel.name, set(by_key))
        for key in sorted(set(events) | set(retry)):
            merged = {e.key: e for e in (*retry.get(key, ()), *events.get(key, ()))}
            alert, delivery = _deliver(
                channel,
                by_key[key],
                list(merged.values()),
                store=store,
                run=run,
                dry_run=dry_run,
                sent=sent,
                make_alert=make_alert,
            )
            if alert is not None and delivery is not None:
                seen_alerts.setdefault(alert.subject, alert)
                result.deliveries.append(delivery)
                if delivery.error:
                    result.failures.append(delivery.error)
    result.alerts = list(seen_alerts.values())
    result.statuses = [status_row(entry, day, catalog) for entry in entries]
    if not dry_run:
        _finish_channels(channels, entries, day, result)
        store.set_state(SNAPSHOT_STATE, {**before, **snapshots})
    if ics is not None:
        from recast.watch._ics import write_watch_calendar

        write_watch_calendar(
            ics,
            entries,
            catalog=catalog,
            as_of=day,
            horizons=config.horizons,
            store=None if dry_run else store,
        )
        result.ics_path = os.fspath(ics)
    for channel in channels:
        close = getattr(channel, "close", None)
        if close is not None:
            close()
    return result


def _channels(
    config: WatchConfig, only: Sequence[str], *, store: Any, run: str, quiet: bool
) -> list[Channel]:
    configured = {config.channel_name(c): c for c in config.channels}
    if not configured:
        from recast.watch._config import StdoutChannel

        configured = {"stdout": StdoutChannel.model_validate({"type": "stdout"})}
    unknown = [name for name in only if name not in configured]
    if unknown:
        raise ConfigError(
            f"--channel {unknown[0]!r} is not in the watch config; configured: "
            f"{', '.join(configured)}."
        )
    names = list(only) or list(configured)
    return [build_channel(n, configured[n], store=store, run=run, quiet=quiet) for n in names]


def _finish_channels(
    channels: Sequence[Channel], entries: Sequence[WatchEntry], day: date, result: WatchResult
) -> None:
    """Channels with a closing step (GitHub: close issues off the watch set, the dashboard)."""
    for channel in channels:
        finish = getattr(channel, "finish", None)
        if finish is None:
            continue
        try:
            finish(entries, day, result.statuses)
        except DeliveryError as exc:
            result.failures.append(str(exc))


def status_row(entry: WatchEntry, day: date, catalog: Catalog) -> dict[str, Any]:
    """One watch-set row for JSON, the dashboard and text output."""
    from recast.watch._alert import dated_fact

    lifecycle = entry.offering.lifecycle
    alert = build_alert(entry, [], day, catalog)
    shutdown = dated_fact(entry.offering)
    return {
        **entry.to_dict(),
        "key": entry.key,
        "state": lifecycle.state_on(day),
        "days_left": lifecycle.days_left(day),
        "shutdown": shutdown.text() if shutdown else "unknown",
        "shutdown_on": shutdown.to_dict() if shutdown else None,
        "replacement": alert.replacement_text(),
    }
