"""The catalog's value objects: models, offerings and their lifecycles.

A *model* is what a provider trained and documents (``claude-3-sonnet-20240229``).
An *offering* is that model on one platform (``bedrock`` serves it as
``anthropic.claude-3-sonnet-20240229-v1:0``), and each offering has its own
*lifecycle*: the same model can be retired on one platform and live on another.

Every object here is a frozen dataclass with ``to_dict`` / ``from_dict`` that
round-trip through JSON, which is how the compiled catalog ships in the wheel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, cast

State = Literal["active", "legacy", "deprecated", "retired", "unknown"]
Precision = Literal["exact", "not_before", "month"]

#: ``unknown``: no lifecycle source describes the offering (it may be listed with prices,
#: but nobody says whether it is deprecated). Never read as ``active``.
STATES: tuple[State, ...] = ("active", "legacy", "deprecated", "retired", "unknown")
PRECISIONS: tuple[Precision, ...] = ("exact", "not_before", "month")

#: How bad each state is, for sorting and thresholds (higher is worse).
STATE_SEVERITY: dict[str, int] = {
    "active": 0,
    "unknown": 1,
    "legacy": 1,
    "deprecated": 2,
    "retired": 3,
}

#: Conflict fields about lifecycle facts (``replacement``: the recommended one differs).
LIFECYCLE_CONFLICT_FIELDS = frozenset(
    {"state", "announced_on", "deprecated_on", "shutdown_on", "replacement"}
)

#: The lifecycle facts that carry their own source (see :meth:`Lifecycle.fact`).
LIFECYCLE_FACTS: tuple[str, ...] = (
    "state",
    "announced_on",
    "deprecated_on",
    "shutdown_on",
    "replacements",
)


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
    the retiring offering. ``source_url``, ``importer`` and ``accessed_on`` say
    where the naming came from (see :attr:`source`).
    """

    model: str
    recommended: bool = False
    note: str = ""
    source_url: str = ""
    platform: str | None = None
    importer: str = ""
    accessed_on: date | None = None
    #: The importer whose note ``note`` is, when another source than ``importer`` gave it.
    note_by: str = ""

    @property
    def source(self) -> Source | None:
        """Where this replacement was named, or ``None`` when nobody says."""
        if not self.source_url:
            return None
        return Source(self.source_url, accessed_on=self.accessed_on, importer=self.importer)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "model": self.model,
                "platform": self.platform,
                "recommended": self.recommended,
                "note": self.note or None,
                "source_url": self.source_url or None,
                "importer": self.importer or None,
                "accessed_on": _iso(self.accessed_on),
                "note_by": self.note_by or None,
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
            importer=data.get("importer", ""),
            accessed_on=_date(data.get("accessed_on")),
            note_by=data.get("note_by", ""),
        )


def recommended_of(replacements: Sequence[Replacement]) -> Replacement | None:
    """The replacement marked ``recommended``, else the first one listed, else ``None``."""
    for replacement in replacements:
        if replacement.recommended:
            return replacement
    return replacements[0] if replacements else None


@dataclass(frozen=True)
class Claim:
    """What one source said about one offering's lifecycle.

    A field left ``None`` (or empty) means the source says nothing about it, which is
    not the same as saying "active". The compiled catalog keeps every source's claim,
    so each fact can name its source and the values the other sources gave
    (:meth:`Lifecycle.fact`), and ``recast models sync`` can replace one source's
    claims without touching the others'.
    """

    importer: str
    sources: tuple[Source, ...] = ()
    state: State | None = None
    announced_on: LifecycleDate | None = None
    deprecated_on: LifecycleDate | None = None
    shutdown_on: LifecycleDate | None = None
    replacements: tuple[Replacement, ...] = ()
    #: The platform id the source described when it is not the offering's own (an alias).
    via: str = ""
    #: Facts the source says the provider does not give (an overlay row's ``unset``): a
    #: lower-ranked source's value for them is recorded as a conflict and not kept.
    denies: tuple[str, ...] = ()

    @property
    def source(self) -> Source | None:
        """The claim's first source: the page its facts were read from."""
        return self.sources[0] if self.sources else None

    def value(self, name: str) -> Any:
        """The claim's value for one of :data:`LIFECYCLE_FACTS` (``None``/``()``: silent)."""
        return getattr(self, name)

    def says(self, name: str) -> bool:
        """Whether the claim gives a value for the fact ``name``."""
        return bool(self.value(name)) if name == "replacements" else self.value(name) is not None

    @property
    def is_empty(self) -> bool:
        """True when the claim states no lifecycle fact at all (nor denies one)."""
        return not self.denies and not any(self.says(name) for name in LIFECYCLE_FACTS)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out)."""
        return _drop_none(
            {
                "importer": self.importer,
                "via": self.via or None,
                "denies": list(self.denies),
                "state": self.state,
                "announced_on": self.announced_on.to_dict() if self.announced_on else None,
                "deprecated_on": self.deprecated_on.to_dict() if self.deprecated_on else None,
                "shutdown_on": self.shutdown_on.to_dict() if self.shutdown_on else None,
                "replacements": [r.to_dict() for r in self.replacements],
                "sources": [s.to_dict() for s in self.sources],
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        return cls(
            importer=data["importer"],
            via=data.get("via", ""),
            denies=tuple(data.get("denies", ())),
            state=cast("State | None", data.get("state")),
            announced_on=LifecycleDate.from_dict(data.get("announced_on")),
            deprecated_on=LifecycleDate.from_dict(data.get("deprecated_on")),
            shutdown_on=LifecycleDate.from_dict(data.get("shutdown_on")),
            replacements=tuple(Replacement.from_dict(r) for r in data.get("replacements", ())),
            sources=tuple(Source.from_dict(s) for s in data.get("sources", ())),
        )


@dataclass(frozen=True)
class Fact:
    """One lifecycle fact as the catalog keeps it: the value, who said it, who said otherwise.

    ``importer`` is the source whose value was kept (``derived`` when recast computed it,
    e.g. a state from dates; ``""`` when nobody says). ``alternatives`` holds every other
    source's claim that speaks to this fact, so a reader can weigh them.
    """

    name: str
    value: Any
    importer: str
    source: Source | None
    alternatives: tuple[Claim, ...] = ()

    @property
    def known(self) -> bool:
        """Whether some source (or recast, from sourced dates) gives this fact."""
        return self.importer != ""


def _union_sources(claims: Iterable[Claim]) -> tuple[Source, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[Source] = []
    for claim in claims:
        for source in claim.sources:
            key = (source.url, source.importer)
            if key not in seen:
                seen.add(key)
                out.append(source)
    return tuple(out)


@dataclass(frozen=True)
class Lifecycle:
    """The lifecycle of one offering.

    ``state`` is the state the top-ranked source recorded (``unknown`` when no source
    describes the offering). Use :meth:`state_on` for the state on a given day: a
    ``deprecated`` offering whose exact shutdown date has passed is ``retired`` on
    any later day.

    ``claims`` are what each source said (highest precedence first) and ``origins``
    names, per fact, the importer whose value was kept; :meth:`fact` puts the two
    together. ``sources`` is every source of every claim (for a lifecycle built by hand
    without claims, whatever was passed).
    """

    state: State = "unknown"
    announced_on: LifecycleDate | None = None
    deprecated_on: LifecycleDate | None = None
    shutdown_on: LifecycleDate | None = None
    replacements: tuple[Replacement, ...] = ()
    sources: tuple[Source, ...] = ()
    claims: tuple[Claim, ...] = ()
    origins: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_claims(
        cls,
        claims: Sequence[Claim],
        origins: Mapping[str, str],
        *,
        state: State,
        announced_on: LifecycleDate | None = None,
        deprecated_on: LifecycleDate | None = None,
        shutdown_on: LifecycleDate | None = None,
        replacements: tuple[Replacement, ...] = (),
    ) -> Lifecycle:
        """Assemble a lifecycle whose facts were picked from ``claims`` (see ``_compile``)."""
        return cls(
            state=state,
            announced_on=announced_on,
            deprecated_on=deprecated_on,
            shutdown_on=shutdown_on,
            replacements=replacements,
            sources=_union_sources(claims),
            claims=tuple(claims),
            origins=tuple(sorted(origins.items())),
        )

    # -- the state on a day ----------------------------------------------------------

    @property
    def deprecated_since(self) -> LifecycleDate | None:
        """The sourced day the deprecation was announced (or took effect), else ``None``."""
        return self.deprecated_on or self.announced_on

    @property
    def known_since(self) -> date | None:
        """The earliest day a source is known to have read this offering as going away.

        Taken from the access dates of the claims that state a non-active state or a
        shutdown date; ``None`` when none of them says when it was read.
        """
        days = [
            source.accessed_on
            for claim in self.claims
            if claim.shutdown_on is not None or claim.state in ("deprecated", "retired")
            for source in claim.sources[:1]
            if source.accessed_on is not None
        ]
        return min(days) if days else None

    @property
    def described(self) -> bool:
        """Whether any lifecycle source says anything about the offering (a state, a date,
        a replacement): ``unknown`` on a day then means "not known *that day*"."""
        if self.claims:
            return any(not claim.is_empty for claim in self.claims)
        return self.state != "unknown" or self.shutdown_on is not None

    def floor_passed(self, as_of: date) -> bool:
        """Whether a "not before" shutdown floor has passed: it may shut down any day."""
        shutdown = self.shutdown_on
        return (
            shutdown is not None
            and shutdown.precision == "not_before"
            and as_of >= shutdown.on
            and self.state != "retired"
        )

    def state_on(self, as_of: date) -> State:
        """Return the state on ``as_of``, computed from the dates where they say more.

        * An ``exact`` or ``month`` shutdown date that has passed means ``retired``.
        * A passed ``not_before`` floor changes nothing: the offering *may* shut down any
          day (:meth:`floor_passed`), it is not deprecated because of it.
        * ``deprecated`` holds from the sourced deprecation (or announcement) date, and the
          offering is ``active`` before it. Without one, *since when* is unknown
          (:attr:`deprecated_since` is ``None``): the offering is ``deprecated`` from the
          first day a source is known to have read it so (:attr:`known_since`) and
          ``unknown`` before that, never "deprecated since its release". When no source
          says when it read it, ``deprecated`` (and the notes say since when is unknown).
        * ``unknown`` otherwise means that no lifecycle source describes the offering
          (:attr:`described` tells the two apart).
        """
        shutdown = self.shutdown_on
        dated = shutdown is not None and shutdown.precision != "not_before"
        if dated and shutdown is not None and as_of >= shutdown.on:
            return "retired"
        if self.state == "retired" and not dated:
            return "retired"  # the source says it is gone and gives no date to check
        if not (dated or self.state in ("deprecated", "retired")):
            return self.state  # active, legacy or unknown; a floor alone changes nothing
        since = self.deprecated_since
        if since is not None:
            if as_of >= since.on:
                return "deprecated"
            return "legacy" if self.state == "legacy" else "active"
        known = self.known_since
        if known is not None and as_of < known:
            return "unknown"  # going away, but no source says it was already on that day
        return "deprecated"

    def days_left(self, as_of: date) -> int | None:
        """Days from ``as_of`` until shutdown (negative once past), or ``None`` when undated."""
        if self.shutdown_on is None:
            return None
        return (self.shutdown_on.on - as_of).days

    @property
    def recommended_replacement(self) -> Replacement | None:
        """The replacement the sources name: marked ``recommended``, else the first listed.

        This is what a source *named*; it may itself be retired. For advice, use
        :func:`recast.catalog.live_replacement`, which follows the chain to a live model.
        """
        return recommended_of(self.replacements)

    # -- provenance --------------------------------------------------------------------

    def origin(self, name: str) -> str:
        """The importer whose value of fact ``name`` was kept (``""`` when none is known)."""
        for fact, importer in self.origins:
            if fact == name:
                return importer
        return ""

    def fact(self, name: str) -> Fact:
        """Fact ``name`` (one of :data:`LIFECYCLE_FACTS`) with its source and alternatives."""
        if name not in LIFECYCLE_FACTS:
            raise ValueError(f"{name!r} is not a lifecycle fact; use one of {LIFECYCLE_FACTS}")
        value = getattr(self, name)
        importer = self.origin(name)
        theirs = [c for c in self.claims if c.importer == importer and c.says(name)]
        # The claim whose value was kept (an importer may speak twice: as alias and snapshot).
        kept = next((c for c in theirs if c.value(name) == value), theirs[0] if theirs else None)
        if not self.claims and value not in (None, (), "unknown"):  # built by hand
            importer = self.sources[0].importer if self.sources else ""
            source = self.sources[0] if self.sources else None
            return Fact(name, value, importer or "unsourced", source)
        others = tuple(c for c in self.claims if c is not kept and c.says(name))
        source = kept.source if kept is not None else None
        if name == "state" and value == "unknown":
            importer = ""
        return Fact(name, value, importer, source, others)

    # -- JSON ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form that :meth:`from_dict` reads back (unset fields left out).

        With claims, ``sources`` is left out: it is their union, rebuilt on reading.
        """
        return _drop_none(
            {
                "state": self.state,
                "announced_on": self.announced_on.to_dict() if self.announced_on else None,
                "deprecated_on": self.deprecated_on.to_dict() if self.deprecated_on else None,
                "shutdown_on": self.shutdown_on.to_dict() if self.shutdown_on else None,
                "replacements": [r.to_dict() for r in self.replacements],
                "origins": dict(self.origins) or None,
                "claims": [c.to_dict() for c in self.claims],
                "sources": None if self.claims else [s.to_dict() for s in self.sources],
            }
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lifecycle:
        """Read the JSON form of :meth:`to_dict`; raises ``KeyError`` on a missing id field."""
        claims = tuple(Claim.from_dict(c) for c in data.get("claims", ()))
        sources = (
            _union_sources(claims)
            if claims
            else tuple(Source.from_dict(s) for s in data.get("sources", ()))
        )
        return cls(
            state=cast(State, data.get("state", "unknown")),
            announced_on=LifecycleDate.from_dict(data.get("announced_on")),
            deprecated_on=LifecycleDate.from_dict(data.get("deprecated_on")),
            shutdown_on=LifecycleDate.from_dict(data.get("shutdown_on")),
            replacements=tuple(Replacement.from_dict(r) for r in data.get("replacements", ())),
            sources=sources,
            claims=claims,
            origins=tuple(sorted((data.get("origins") or {}).items())),
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

    ``alias_of`` is set on an alias (``claude-opus-4-1``): a second id the platform
    accepts for the offering with that platform id (``claude-opus-4-1-20250805``). An
    alias has no lifecycle of its own; its ``lifecycle`` is its target's.
    """

    model: str
    platform: str
    platform_id: str
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    region: str | None = None
    prices: Prices | None = None
    alias_of: str | None = None

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
                "alias_of": self.alias_of,
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
            alias_of=data.get("alias_of"),
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

    @property
    def is_lifecycle(self) -> bool:
        """Whether the disagreement is about a lifecycle fact (not a price or a limit)."""
        return self.field in LIFECYCLE_CONFLICT_FIELDS

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
