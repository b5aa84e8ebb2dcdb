"""Lifecycle facts per model and the deprecation headers they turn into.

* ``Deprecation: @1752451200``: RFC 9745, a Structured Field Date (unix seconds).
* ``Sunset: Mon, 14 Jul 2025 00:00:00 GMT``: RFC 8594, an IMF-fixdate, never earlier than
  the Deprecation date (RFC 9745 section 3).
* ``Link: <https://…>; rel="deprecation"; type="text/html"`` pointing at the provider's
  notice, and ``</v1/models/gpt-4.1>; rel="successor-version"`` for the replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import format_datetime

from recast.gateway._config import GatewayConfig, UpstreamConfig

_PLATFORM_OF_KIND = {"openai": "openai", "anthropic": "anthropic", "azure": "azure-openai"}


@dataclass(frozen=True)
class ModelLifecycle:
    """What the gateway knows of one model's lifecycle."""

    model: str
    deprecated_on: date | None = None
    shutdown_on: date | None = None
    replacement: str | None = None
    source: str | None = None
    retired_state: bool = False  # the catalog records the model as retired
    #: The catalog's state on the day the lifecycle was read (``None``: no catalog entry);
    #: ``unknown`` when no lifecycle source describes the model.
    catalog_state: str | None = None

    @property
    def dated(self) -> bool:
        return self.deprecated_on is not None or self.shutdown_on is not None

    def retired(self, today: date) -> bool:
        """Whether the model is past its shutdown date (or recorded retired) on ``today``."""
        if self.shutdown_on is not None:
            return today >= self.shutdown_on
        return self.retired_state

    def state_on(self, today: date) -> str:
        """The state shown for the model on ``today`` (``/v1/models``, the dashboard)."""
        if self.retired(today):
            return "retired"
        if self.dated:
            return "deprecated"
        return self.catalog_state or "active"

    def days_left(self, today: date) -> int | None:
        return (self.shutdown_on - today).days if self.shutdown_on else None

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The RFC 9745/8594 headers for a response served for this model."""
        if not self.dated:
            return []
        out: list[tuple[bytes, bytes]] = []
        deprecation = self.deprecated_on or self.shutdown_on
        if self.shutdown_on is not None and deprecation is not None:
            deprecation = min(deprecation, self.shutdown_on)
        if deprecation is not None:
            out.append((b"deprecation", f"@{_unix(deprecation)}".encode("ascii")))
        if self.shutdown_on is not None:
            out.append((b"sunset", sunset_value(self.shutdown_on).encode("ascii")))
        links = []
        if self.source and _safe_uri(self.source):
            links.append(f'<{self.source}>; rel="deprecation"; type="text/html"')
        if self.replacement and _safe_uri(self.replacement):
            links.append(f'</v1/models/{self.replacement}>; rel="successor-version"')
        if links:
            out.append((b"link", ", ".join(links).encode("ascii", "replace")))
        return out


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def sunset_value(day: date) -> str:
    """``day`` at 00:00 UTC as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``)."""
    moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return format_datetime(moment, usegmt=True)


def _safe_uri(text: str) -> bool:
    return all(33 <= ord(ch) < 127 and ch not in '<>"' for ch in text)


def _from_catalog(
    model: str, upstream: UpstreamConfig | None, today: date | None = None
) -> ModelLifecycle | None:
    """The catalog's facts for ``model``; the replacement is the live one on today's date
    (the end of the chain that still works, never a retired model)."""
    try:
        from recast.catalog import advise, lookup
    except ImportError:  # pragma: no cover
        return None
    platform = _PLATFORM_OF_KIND.get(upstream.kind) if upstream else None
    try:
        try:
            offering = lookup(model, platform)
        except Exception:
            offering = lookup(model)
    except Exception:  # unknown model, catalog not built, placeholder resolver
        return None
    life = offering.lifecycle
    today = today or date.today()
    deprecated = life.deprecated_since
    final = advise(offering, today).final
    if final is not None and (final.state == "unknown" or final.platform != offering.platform):
        final = None  # never redirect to a model nobody vouches for, nor off this platform
    source = next((s.url for s in life.sources if s.url), None)
    named = final.named_by if final is not None else None
    if named is not None and named.source_url and not source:
        source = named.source_url
    # A "not before" floor is a promise, not a sunset: no Sunset header, never "retired".
    shutdown = life.shutdown_on
    return ModelLifecycle(
        model=model,
        deprecated_on=deprecated.on if deprecated else None,
        shutdown_on=shutdown.on if shutdown and shutdown.precision != "not_before" else None,
        replacement=final.model if final is not None else None,
        source=source,
        retired_state=life.state_on(today) == "retired",
        catalog_state=life.state_on(today),
    )


def lifecycle_of(model: str, config: GatewayConfig, today: date | None = None) -> ModelLifecycle:
    """Merge the config's lifecycle override (which wins) over the catalog's facts; the
    catalog's replacement is the live one on ``today`` (default: the real today)."""
    route = config.routes.get(model)
    upstream = None
    if route is not None and route.upstream:
        upstream = config.upstream(route.upstream)
    else:
        upstream = config.upstream_for(model)
    base = _from_catalog(model, upstream, today) if config.catalog_lifecycles else None
    if base is None:
        base = ModelLifecycle(model=model)
    override = route.lifecycle if route is not None else None
    replacement = (route.replacement if route else None) or base.replacement
    if override is None:
        return ModelLifecycle(
            model=model,
            deprecated_on=base.deprecated_on,
            shutdown_on=base.shutdown_on,
            replacement=replacement,
            source=base.source,
            retired_state=base.retired_state,
            catalog_state=base.catalog_state,
        )
    return ModelLifecycle(
        model=model,
        deprecated_on=override.deprecated_on or base.deprecated_on,
        shutdown_on=override.shutdown_on or base.shutdown_on,
        replacement=(route.replacement if route else None)
        or override.replacement
        or base.replacement,
        source=override.source or base.source,
        retired_state=base.retired_state,
        catalog_state=base.catalog_state,
    )
