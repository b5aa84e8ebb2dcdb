"""The catalog's value objects: models, offerings and their lifecycles.

A *model* is what a provider trained and documents (``claude-3-sonnet-20240229``).
An *offering* is that model on one platform (``bedrock`` serves it as
``anthropic.claude-3-sonnet-20240229-v1:0``), and each offering has its own
*lifecycle*: the same model can be retired on one platform and live on another.

Every object here is a frozen dataclass with ``to_dict`` / ``from_dict`` that
round-trip through JSON, which is how the compiled catalog ships in the wheel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, cast

State = Literal["active", "legacy", "deprecated", "retired"]
Precision = Literal["exact", "not_before", "month"]

STATES: tuple[State, ...] = ("active", "legacy", "deprecated", "retired")
PRECISIONS: tuple[Precision, ...] = ("exact", "not_before", "month")

#: How bad each state is, for sorting and thresholds (higher is worse).
STATE_SEVERITY: dict[str, int] = {"active": 0, "legacy": 1, "deprecated": 2, "retired": 3}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != () and v != []}


@dataclass(frozen=True)
class LifecycleDate:
    """A lifecycle date and how precisely it is known.

    ``exact``: that day. ``not_before``: the provider promises no earlier
    ("not sooner than"). ``month``: some day in that month; ``on`` is the
    first of the month, so checks against it err on the early side.
    """

    on: date
    precision: Precision = "exact"

    def __str__(self) -> str:
        if self.precision == "month":
            return self.on.strftime("%Y-%m")
        if self.precision == "not_before":
            return f"≥{self.on.isoformat()}"
        return self.on.isoformat()

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return {"on": self.on.isoformat(), "precision": self.precision}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> LifecycleDate | None:
        """Read the JSON form of :meth:`to_dict`; ``None`` when ``data`` is empty."""
        if not data:
            return None
        return cls(date.fromisoformat(data["on"]), cast(Precision, data.get("precision", "exact")))


@dataclass(frozen=True)
class Source:
    """Where a fact came from: a URL, its title, when it was read, and which importer read it."""

    url: str
    title: str = ""
    accessed_on: date | None = None
    importer: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "url": self.url,
                "title": self.title or None,
                "accessed_on": _iso(self.accessed_on),
                "importer": self.importer or None,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Source:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        return cls(
            url=data["url"],
            title=data.get("title", ""),
            accessed_on=_date(data.get("accessed_on")),
            importer=data.get("importer", ""),
        )


@dataclass(frozen=True)
class Replacement:
    """A model the provider (or a curator) names as the way forward.

    ``platform`` is ``None`` when the replacement is on the same platform as
    the retiring offering.
    """

    model: str
    recommended: bool = False
    note: str = ""
    source_url: str = ""
    platform: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "model": self.model,
                "platform": self.platform,
                "recommended": self.recommended,
                "note": self.note or None,
                "source_url": self.source_url or None,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Replacement:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        return cls(
            model=data["model"],
            recommended=bool(data.get("recommended", False)),
            note=data.get("note", ""),
            source_url=data.get("source_url", ""),
            platform=data.get("platform"),
        )


@dataclass(frozen=True)
class Lifecycle:
    """The lifecycle of one offering.

    ``state`` is the state the sources recorded. Use :meth:`state_on` for the
    state on a given day: a ``deprecated`` offering whose shutdown date has
    passed is ``retired`` on any later day.
    """

    state: State = "active"
    announced_on: LifecycleDate | None = None
    deprecated_on: LifecycleDate | None = None
    shutdown_on: LifecycleDate | None = None
    replacements: tuple[Replacement, ...] = ()
    sources: tuple[Source, ...] = ()

    def state_on(self, as_of: date) -> State:
        """Return the state on ``as_of``, computed from the dates where they say more."""
        shutdown = self.shutdown_on
        if shutdown is not None and as_of >= shutdown.on:
            if shutdown.precision != "not_before" or self.state == "retired":
                return "retired"
            return "deprecated"
        if self.state == "retired" and shutdown is None:
            return "retired"
        if self.deprecated_on is not None and as_of >= self.deprecated_on.on:
            return "deprecated"
        if shutdown is not None:
            announced = self.announced_on or self.deprecated_on
            if announced is None and shutdown.precision == "not_before":
                return self.state  # a promised floor ("not before"), not an announced shutdown
            if announced is None or as_of >= announced.on:
                return "deprecated"
            return "active"
        if self.state == "retired":  # dates in the future but the source says retired
            return "retired"
        return self.state

    def days_left(self, as_of: date) -> int | None:
        """Days from ``as_of`` until shutdown (negative once past), or ``None`` when undated."""
        if self.shutdown_on is None:
            return None
        return (self.shutdown_on.on - as_of).days

    @property
    def recommended_replacement(self) -> Replacement | None:
        """The replacement marked ``recommended``, else the first one listed."""
        for replacement in self.replacements:
            if replacement.recommended:
                return replacement
        return self.replacements[0] if self.replacements else None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "state": self.state,
                "announced_on": self.announced_on.to_dict() if self.announced_on else None,
                "deprecated_on": self.deprecated_on.to_dict() if self.deprecated_on else None,
                "shutdown_on": self.shutdown_on.to_dict() if self.shutdown_on else None,
                "replacements": [r.to_dict() for r in self.replacements],
                "sources": [s.to_dict() for s in self.sources],
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lifecycle:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        return cls(
            state=cast(State, data.get("state", "active")),
            announced_on=LifecycleDate.from_dict(data.get("announced_on")),
            deprecated_on=LifecycleDate.from_dict(data.get("deprecated_on")),
            shutdown_on=LifecycleDate.from_dict(data.get("shutdown_on")),
            replacements=tuple(Replacement.from_dict(r) for r in data.get("replacements", ())),
            sources=tuple(Source.from_dict(s) for s in data.get("sources", ())),
        )


@dataclass(frozen=True)
class Prices:
    """USD per one million tokens, as of ``as_of``."""

    input: float | None = None
    output: float | None = None
    cached_input: float | None = None
    as_of: date | None = None

    def cost(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float | None:
        """Cost in USD of one call, or ``None`` when a needed price is unknown."""
        if self.input is None or self.output is None:
            return None
        cached_price = self.cached_input if self.cached_input is not None else self.input
        uncached = max(input_tokens - cached_tokens, 0)
        return (
            uncached * self.input + cached_tokens * cached_price + output_tokens * self.output
        ) / 1_000_000

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "input": self.input,
                "output": self.output,
                "cached_input": self.cached_input,
                "as_of": _iso(self.as_of),
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Prices | None:
        """Read the JSON form of :meth:`to_dict`; ``None`` when ``data`` is empty."""
        if not data:
            return None
        return cls(
            input=data.get("input"),
            output=data.get("output"),
            cached_input=data.get("cached_input"),
            as_of=_date(data.get("as_of")),
        )


@dataclass(frozen=True)
class Capabilities:
    """What a model can do; ``None`` means no source says."""

    vision: bool | None = None
    tools: bool | None = None
    structured_output: bool | None = None
    reasoning: bool | None = None
    audio: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "vision": self.vision,
                "tools": self.tools,
                "structured_output": self.structured_output,
                "reasoning": self.reasoning,
                "audio": self.audio,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Capabilities:
        """Read the JSON form of :meth:`to_dict`; empty ``data`` means nothing is known."""
        data = data or {}
        return cls(
            vision=data.get("vision"),
            tools=data.get("tools"),
            structured_output=data.get("structured_output"),
            reasoning=data.get("reasoning"),
            audio=data.get("audio"),
        )


@dataclass(frozen=True)
class Model:
    """A model as its provider documents it, independent of where it is served."""

    id: str
    provider: str
    name: str = ""
    family: str | None = None
    aliases: tuple[str, ...] = ()
    released_on: date | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    context_window: int | None = None
    max_output_tokens: int | None = None
    prices: Prices | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "id": self.id,
                "provider": self.provider,
                "name": self.name or None,
                "family": self.family,
                "aliases": list(self.aliases),
                "released_on": _iso(self.released_on),
                "capabilities": self.capabilities.to_dict() or None,
                "context_window": self.context_window,
                "max_output_tokens": self.max_output_tokens,
                "prices": self.prices.to_dict() if self.prices else None,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        return cls(
            id=data["id"],
            provider=data["provider"],
            name=data.get("name", ""),
            family=data.get("family"),
            aliases=tuple(data.get("aliases", ())),
            released_on=_date(data.get("released_on")),
            capabilities=Capabilities.from_dict(data.get("capabilities")),
            context_window=data.get("context_window"),
            max_output_tokens=data.get("max_output_tokens"),
            prices=Prices.from_dict(data.get("prices")),
        )


@dataclass(frozen=True)
class Offering:
    """A model on one platform: the id you call there, the region, and its lifecycle.

    ``prices`` overrides the model's prices where the platform charges
    differently; use :meth:`Catalog.prices_for` to get the effective ones.
    """

    model: str
    platform: str
    platform_id: str
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    region: str | None = None
    prices: Prices | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        """Identity of the offering inside a catalog."""
        return (self.platform, self.platform_id, self.region)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "model": self.model,
                "platform": self.platform,
                "platform_id": self.platform_id,
                "region": self.region,
                "lifecycle": self.lifecycle.to_dict(),
                "prices": self.prices.to_dict() if self.prices else None,
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Offering:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        return cls(
            model=data["model"],
            platform=data["platform"],
            platform_id=data["platform_id"],
            lifecycle=Lifecycle.from_dict(data.get("lifecycle", {})),
            region=data.get("region"),
            prices=Prices.from_dict(data.get("prices")),
        )


@dataclass(frozen=True)
class Conflict:
    """Two sources disagree on one fact of one offering; ``chosen`` is what the catalog kept."""

    platform: str
    platform_id: str
    field: str
    values: tuple[tuple[str, str], ...]  # (importer, value) pairs
    chosen: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return {
            "platform": self.platform,
            "platform_id": self.platform_id,
            "field": self.field,
            "values": [{"importer": s, "value": v} for s, v in self.values],
            "chosen": self.chosen,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conflict:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        return cls(
            platform=data["platform"],
            platform_id=data["platform_id"],
            field=data["field"],
            values=tuple((v["importer"], v["value"]) for v in data["values"]),
            chosen=data["chosen"],
            reason=data.get("reason", ""),
        )
