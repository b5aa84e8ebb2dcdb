"""The watch set: the offerings this team uses, and where each one is used.

Built from any mix of three sources, each entry remembering which gave it:

* ``scan``: a ``recast scan`` of the configured paths, or a scan JSON file (schema 2);
  only code and config references count (a model named in docs or a comment is not a
  dependency);
* ``traffic``: the gateway's captured exchanges in the store (requested and served
  models, volume, spend, last seen) over the last ``traffic_days``;
* ``config``: the explicit ``models`` list (``gpt-4o``, ``claude-3-sonnet-20240229@bedrock``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from recast.catalog import Catalog, Offering, lookup, resolve
from recast.errors import ConfigError, RecastError, UnknownModelError

#: Contexts of a scan finding that make a dependency (docs, comments and data do not).
USED_CONTEXTS = frozenset({"code", "config"})
#: Scan statuses that resolve to no hosted offering.
UNRESOLVED = frozenset({"unknown", "local"})


@dataclass(frozen=True)
class Location:
    """One place a model id is written: ``path:line``, as the scan reported it."""

    path: str
    line: int
    text: str
    context: str = "code"

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        return {"path": self.path, "line": self.line, "text": self.text, "context": self.context}


@dataclass(frozen=True)
class Traffic:
    """Captured traffic of one offering over the window that ends on the as-of day.

    ``share`` is this offering's part of all primary requests in the window (0..1).
    ``requested_as`` lists the ids clients asked for (an alias, a redirected model).
    """

    requests: int
    share: float
    days: int
    first_at: datetime
    last_at: datetime
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    max_input_tokens: int | None = None
    errors: int = 0
    requested_as: tuple[str, ...] = ()

    @property
    def monthly_requests(self) -> float:
        """Requests per 30 days at the observed rate."""
        return self.requests * 30 / max(self.days, 1)

    def monthly(self, value: float | int | None) -> float | None:
        """A window total scaled to 30 days (``None`` stays ``None``)."""
        return None if value is None else value * 30 / max(self.days, 1)

    def merged(self, other: Traffic) -> Traffic:
        """Both windows' traffic added (same offering asked for by two names)."""

        def add(a: float | int | None, b: float | int | None) -> Any:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return Traffic(
            requests=self.requests + other.requests,
            share=self.share + other.share,
            days=self.days,
            first_at=min(self.first_at, other.first_at),
            last_at=max(self.last_at, other.last_at),
            cost_usd=add(self.cost_usd, other.cost_usd),
            input_tokens=add(self.input_tokens, other.input_tokens),
            output_tokens=add(self.output_tokens, other.output_tokens),
            max_input_tokens=max(self.max_input_tokens or 0, other.max_input_tokens or 0) or None,
            errors=self.errors + other.errors,
            requested_as=tuple(sorted(set(self.requested_as) | set(other.requested_as))),
        )

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON (timestamps ISO 8601 UTC)."""
        return {
            "requests": self.requests,
            "share": round(self.share, 4),
            "days": self.days,
            "monthly_requests": round(self.monthly_requests, 1),
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "max_input_tokens": self.max_input_tokens,
            "errors": self.errors,
            "requested_as": list(self.requested_as),
        }


@dataclass(frozen=True)
class WatchEntry:
    """One offering of the watch set and the evidence that the team uses it."""

    offering: Offering
    origins: tuple[str, ...]
    locations: tuple[Location, ...] = ()
    traffic: Traffic | None = None
    #: How the team wrote it (the config's text or the ids found), for messages.
    written_as: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``platform/platform_id`` (``@region`` when regional): the alert keys' prefix."""
        o = self.offering
        return f"{o.platform}/{o.platform_id}" + (f"@{o.region}" if o.region else "")

    @property
    def files(self) -> dict[str, list[Location]]:
        """Locations grouped by file, files in path order."""
        grouped: dict[str, list[Location]] = {}
        for location in sorted(self.locations, key=lambda x: (x.path, x.line)):
            grouped.setdefault(location.path, []).append(location)
        return grouped

    def merged(self, other: WatchEntry) -> WatchEntry:
        """Both entries' evidence for the same offering."""
        traffic = self.traffic
        if other.traffic is not None:
            traffic = other.traffic if traffic is None else traffic.merged(other.traffic)
        return replace(
            self,
            origins=tuple(dict.fromkeys((*self.origins, *other.origins))),
            locations=tuple(dict.fromkeys((*self.locations, *other.locations))),
            traffic=traffic,
            written_as=tuple(dict.fromkeys((*self.written_as, *other.written_as))),
        )

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        o = self.offering
        return {
            "model": o.model,
            "platform": o.platform,
            "platform_id": o.platform_id,
            "region": o.region,
            "origins": list(self.origins),
            "written_as": list(self.written_as),
            "locations": [x.to_dict() for x in sorted(self.locations, key=_loc_key)],
            "traffic": self.traffic.to_dict() if self.traffic else None,
        }


def _loc_key(location: Location) -> tuple[str, int]:
    return (location.path, location.line)


@dataclass
class WatchSet:
    """The watch set, by :attr:`WatchEntry.key`, plus what could not be placed."""

    entries: dict[str, WatchEntry] = field(default_factory=dict)
    #: Ids seen in code, traffic or config that the catalog does not know (one line each).
    unresolved: list[str] = field(default_factory=list)
    total_requests: int = 0

    def add(self, entry: WatchEntry) -> None:
        """Add ``entry``, merging with an entry of the same offering."""
        known = self.entries.get(entry.key)
        self.entries[entry.key] = entry if known is None else known.merged(entry)

    def sorted(self) -> list[WatchEntry]:
        """Entries by model, then platform, then platform id."""
        return sorted(
            self.entries.values(),
            key=lambda e: (e.offering.model, e.offering.platform, e.offering.platform_id),
        )


# --------------------------------------------------------------------------- from a scan


def _finding_offering(
    model: str | None, platform: str | None, platform_id: str | None, catalog: Catalog
) -> Offering | None:
    if not platform or not platform_id or platform == "ambiguous":
        return None
    try:
        found = resolve(platform_id, platform, catalog=catalog)
    except RecastError:
        return None
    exact = [o for o in found if o.platform_id == platform_id]
    pool = exact or found
    if model:
        pool = [o for o in pool if o.model == model] or pool
    return pool[0] if pool else None


def add_findings(
    watch_set: WatchSet, findings: Iterable[Mapping[str, Any]], catalog: Catalog
) -> None:
    """Add scan findings (``findings[]`` of scan JSON, or :func:`finding_rows`)."""
    for finding in findings:
        if finding.get("context") not in USED_CONTEXTS or finding.get("status") in UNRESOLVED:
            continue
        targets: list[tuple[str | None, str | None]] = [
            (finding.get("platform"), finding.get("platform_id"))
        ]
        if finding.get("platform") == "ambiguous":
            targets = [
                (c.get("platform"), c.get("platform_id"))
                for c in finding.get("platform_candidates") or ()
            ]
        location = Location(
            str(finding.get("path", "")),
            int(finding.get("line") or 0),
            str(finding.get("text", "")),
            str(finding.get("context", "code")),
        )
        for platform, platform_id in targets:
            offering = _finding_offering(finding.get("model"), platform, platform_id, catalog)
            if offering is None:
                continue
            watch_set.add(WatchEntry(offering, ("scan",), (location,), written_as=(location.text,)))


def finding_rows(findings: Iterable[Any]) -> list[dict[str, Any]]:
    """:class:`recast.scan.Finding` objects as the dicts :func:`add_findings` reads."""
    rows = []
    for f in findings:
        rows.append(
            {
                "path": f.path,
                "line": f.line,
                "text": f.text,
                "context": f.context,
                "status": f.status,
                "model": f.model,
                "platform": f.platform,
                "platform_id": f.platform_id,
                "platform_candidates": [
                    {"platform": c.platform, "platform_id": c.platform_id}
                    for c in f.platform_candidates
                ],
            }
        )
    return rows


def read_scan_json(path: str) -> list[dict[str, Any]]:
    """The findings of a ``recast scan --format json`` file (:class:`ConfigError` if not one)."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            f"Scan JSON {path!r} does not exist. "
            f"Write one with `recast scan --format json > {path}`."
        ) from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Scan JSON {path!r} is not readable JSON ({exc}).") from exc
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ConfigError(
            f"{path!r} is not a recast scan JSON document (no 'findings' list). "
            "Write one with `recast scan --format json`."
        )
    if document.get("schema_version") != 2:
        raise ConfigError(
            f"{path!r} has scan schema_version {document.get('schema_version')!r}; this recast "
            "reads 2. Re-run `recast scan --format json`."
        )
    return [f for f in document["findings"] if isinstance(f, dict)]


def scan_paths(paths: Sequence[str], as_of: date, catalog: Catalog | None = None) -> Any:
    """Scan ``paths`` with ``recast scan`` (its own config applies): a ``ScanResult``."""
    from recast.scan import scan

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise ConfigError(
            f"Watch path {missing[0]!r} does not exist. Fix `paths` in the watch config."
        )
    return scan(list(paths), as_of=as_of, catalog=catalog, config=scan_config(paths[0]))


def scan_config(start: str) -> Any:
    """The configuration ``recast scan`` would use from ``start`` (its own search rule)."""
    from recast.scan import load_config

    folder = Path(start)
    return load_config(start=folder.parent if folder.is_file() else folder)


# --------------------------------------------------------------------------- traffic


def _window(as_of: date, days: int) -> tuple[datetime, datetime]:
    until = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=timezone.utc)
    return until - timedelta(days=days), until


def add_traffic(watch_set: WatchSet, store: Any, as_of: date, days: int, catalog: Catalog) -> None:
    """Add every model the gateway served or was asked for in the ``days`` ending on ``as_of``."""
    since, until = _window(as_of, days)
    usage = store.model_usage(since=since, until=until)
    total = sum(u.requests for u in usage)
    watch_set.total_requests = total
    for row in usage:
        served = row.served_model or row.requested_model
        names = [served] if served == row.requested_model else [served, row.requested_model]
        for name in names:
            try:
                offering = lookup(name, row.platform, catalog=catalog)
            except (UnknownModelError, RecastError):
                note = f"traffic: {name!r} is not in the catalog"
                if note not in watch_set.unresolved:
                    watch_set.unresolved.append(note)
                continue
            traffic = Traffic(
                requests=row.requests,
                share=row.requests / total if total else 0.0,
                days=days,
                first_at=row.first_at,
                last_at=row.last_at,
                cost_usd=row.cost_usd,
                input_tokens=row.input_tokens,
                output_tokens=row.output_tokens,
                max_input_tokens=row.max_input_tokens,
                errors=row.errors,
                requested_as=(row.requested_model,),
            )
            watch_set.add(WatchEntry(offering, ("traffic",), traffic=traffic, written_as=(name,)))


# --------------------------------------------------------------------------- explicit


def parse_model_ref(text: str) -> tuple[str, str | None]:
    """``model@platform`` -> (model, platform); a bare id has no platform."""
    model, sep, platform = text.strip().rpartition("@")
    if sep and platform and "/" not in platform and ":" not in platform:
        return model, platform
    return text.strip(), None


def add_models(watch_set: WatchSet, models: Iterable[str], catalog: Catalog, source: str) -> None:
    """Add the configured ids; an unknown one is a :class:`ConfigError` with suggestions."""
    for text in models:
        model, platform = parse_model_ref(text)
        try:
            offering = lookup(model, platform, catalog=catalog)
        except UnknownModelError as exc:
            raise ConfigError(f"{source}: watch.models: {exc}") from exc
        except RecastError as exc:
            raise ConfigError(f"{source}: watch.models {text!r}: {exc}") from exc
        watch_set.add(WatchEntry(offering, ("config",), written_as=(text,)))
