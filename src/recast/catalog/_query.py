"""Questions asked of the catalog on a given day: list, upcoming shutdowns, fuzzy search.

Every function takes ``as_of`` (default: today) because an offering's state
depends on the day it is looked at: ``gpt-4.5-preview`` was ``deprecated`` on
2025-05-01 and ``retired`` from 2025-07-14.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from recast.catalog._advice import Advice, Step, advise
from recast.catalog._catalog import Catalog, load_catalog
from recast.catalog._model import (
    LIFECYCLE_FACTS,
    Conflict,
    Fact,
    LifecycleDate,
    Model,
    Offering,
    Prices,
    Replacement,
    State,
)
from recast.catalog._platforms import check_platform, home_platform, platform_rank

#: Version of the JSON produced by :meth:`OfferingStatus.to_dict`. 2: per-fact ``facts``,
#: ``replacement`` (the live advice), ``notes``, ``alias_of``; ``state`` may be ``unknown``.
STATUS_SCHEMA_VERSION = 2

_TOKEN_SPLIT = re.compile(r"[\s\-_./:@]+")


def _value_dict(name: str, value: Any) -> dict[str, Any]:
    """A fact's value as JSON: dates with their precision, replacements as model ids."""
    if value is None or value == ():
        return {"value": None}
    if isinstance(value, LifecycleDate):
        return {"value": value.on.isoformat(), "precision": value.precision}
    if name == "replacements":
        return {"value": [r.model for r in value]}
    return {"value": value}


def fact_dict(fact: Fact, conflict: Conflict | None = None) -> dict[str, Any]:
    """One lifecycle fact as JSON: its value, where it came from, what others said."""
    return {
        **_value_dict(fact.name, fact.value),
        "importer": fact.importer or None,
        "source": fact.source.to_dict() if fact.source is not None else None,
        "alternatives": [
            {
                "importer": claim.importer,
                **_value_dict(fact.name, claim.value(fact.name)),
                "source": claim.source.to_dict() if claim.source is not None else None,
            }
            for claim in fact.alternatives
        ],
        "conflict": conflict.to_dict() if conflict is not None else None,
    }


#: Which conflict field records a disagreement on each fact.
CONFLICT_FIELD = {name: name for name in LIFECYCLE_FACTS} | {"replacements": "replacement"}


@dataclass(frozen=True)
class OfferingStatus:
    """An offering seen on one day: its computed state, days left, and what to move to.

    ``model`` is the offering's :class:`Model` when the catalog was at hand, and
    ``advice`` the live replacement (:func:`recast.catalog.advise`) and ``conflicts`` the
    recorded disagreements on its facts then too. ``days_left`` is negative once the
    shutdown date has passed and ``None`` when no shutdown date is known.
    """

    offering: Offering
    state: State
    days_left: int | None
    as_of: date
    model: Model | None = None
    advice: Advice | None = None
    conflicts: Mapping[str, Conflict] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        """The model's maker, or ``""`` when the model is not in the catalog."""
        return self.model.provider if self.model else ""

    @property
    def shutdown_on(self) -> LifecycleDate | None:
        """The offering's shutdown date with its precision, or ``None`` when undated."""
        return self.offering.lifecycle.shutdown_on

    @property
    def replacement(self) -> Replacement | None:
        """The replacement the sources name (recommended, else first); may be retired.

        Recommend :attr:`live` instead: the end of the chain that still works.
        """
        return self.offering.lifecycle.recommended_replacement

    @property
    def live(self) -> Step | None:
        """The live replacement (see :func:`recast.catalog.advise`), when known."""
        return self.advice.final if self.advice is not None else None

    @property
    def is_home(self) -> bool:
        """Whether this offering is on the maker's own API."""
        return self.model is not None and home_platform(self.model.provider) == (
            self.offering.platform
        )

    def notes(self) -> list[str]:
        """What the state alone does not say: passed floors, unknown onsets, no sources."""
        lifecycle = self.offering.lifecycle
        out: list[str] = []
        if self.state == "unknown" and not lifecycle.described:
            out.append(f"no lifecycle source describes it on {self.offering.platform}")
        elif self.state == "unknown" and lifecycle.shutdown_on is not None:
            out.append("going away, but no source says it was already deprecated on this day")
        elif self.state == "unknown":
            out.append(f"no source gives its state on {self.offering.platform}")
        if lifecycle.floor_passed(self.as_of) and lifecycle.shutdown_on is not None:
            out.append(
                f"may shut down any day: the 'not before {lifecycle.shutdown_on.on}' floor "
                "has passed and no date is announced"
            )
        if self.state == "deprecated" and lifecycle.deprecated_since is None:
            known = lifecycle.known_since
            seen = f"; first read so on {known.isoformat()}" if known else ""
            out.append(f"deprecated since: unknown (no source gives an announcement date{seen})")
        if self.offering.alias_of:
            out.append(f"alias of {self.offering.alias_of}: follows its lifecycle")
        return out

    def facts(self) -> dict[str, dict[str, Any]]:
        """Every lifecycle fact with its source, alternatives and conflict, as JSON."""
        lifecycle = self.offering.lifecycle
        return {
            name: fact_dict(lifecycle.fact(name), self.conflicts.get(CONFLICT_FIELD[name]))
            for name in LIFECYCLE_FACTS
        }

    def to_dict(self, prices: Prices | None = None) -> dict[str, Any]:
        """Render as JSON: flat ``*_on`` dates (``YYYY-MM-DD``) each with a ``*_precision``,
        per-fact provenance under ``facts`` and the live advice under ``replacement``."""
        offering = self.offering
        lifecycle = offering.lifecycle
        data: dict[str, Any] = {
            "model": offering.model,
            "provider": self.provider or None,
            "platform": offering.platform,
            "platform_id": offering.platform_id,
            "region": offering.region,
            "alias_of": offering.alias_of,
            "state": self.state,
            "recorded_state": lifecycle.state,
            "days_left": self.days_left,
        }
        for name in ("announced", "deprecated", "shutdown"):
            value: LifecycleDate | None = getattr(lifecycle, f"{name}_on")
            data[f"{name}_on"] = value.on.isoformat() if value else None
            data[f"{name}_precision"] = value.precision if value else None
        data["notes"] = self.notes()
        data["replacement"] = self.advice.to_dict() if self.advice is not None else None
        data["replacements"] = [
            {
                "model": r.model,
                "platform": r.platform or offering.platform,
                "recommended": r.recommended,
                "note": r.note or None,
                "source_url": r.source_url or None,
                "importer": r.importer or None,
            }
            for r in lifecycle.replacements
        ]
        data["facts"] = self.facts()
        data["conflicts"] = sorted(self.conflicts)
        data["sources"] = [s.to_dict() for s in lifecycle.sources]
        if prices is not None:
            data["prices"] = prices.to_dict()
        return data


def _today(as_of: date | None) -> date:
    return as_of if as_of is not None else date.today()


def _catalog(catalog: Catalog | None) -> Catalog:
    return catalog if catalog is not None else load_catalog()


def status_of(
    offering: Offering, as_of: date | None = None, *, catalog: Catalog | None = None
) -> OfferingStatus:
    """Return the offering's state and days left on ``as_of`` (default today).

    Pass ``catalog`` to attach the offering's :class:`Model`, its live replacement
    (:func:`recast.catalog.advise`) and the conflicts recorded on its facts.
    """
    day = _today(as_of)
    lifecycle = offering.lifecycle
    model = catalog.model(offering.model) if catalog is not None else None
    return OfferingStatus(
        offering=offering,
        state=lifecycle.state_on(day),
        days_left=lifecycle.days_left(day),
        as_of=day,
        model=model,
        advice=advise(offering, day, catalog=catalog) if catalog is not None else None,
        conflicts=catalog.conflicts_of(offering) if catalog is not None else {},
    )


def _list_key(status: OfferingStatus) -> tuple[str, str, int, str, str]:
    offering = status.offering
    return (
        status.provider,
        offering.model,
        platform_rank(offering.platform),
        offering.platform_id,
        offering.region or "",
    )


def list_offerings(
    *,
    provider: str | None = None,
    platform: str | None = None,
    status: State | None = None,
    shutdown_before: date | None = None,
    as_of: date | None = None,
    catalog: Catalog | None = None,
) -> list[OfferingStatus]:
    """Return the offerings matching every filter given, as seen on ``as_of``.

    ``status`` compares the state on ``as_of``; ``shutdown_before`` keeps
    offerings whose shutdown date is strictly earlier. Sorted by provider,
    model, platform (in ``PLATFORMS`` order), platform id.
    """
    cat = _catalog(catalog)
    day = _today(as_of)
    platform = check_platform(platform)
    wanted_provider = provider.strip().lower() if provider else None
    result: list[OfferingStatus] = []
    for offering in cat.offerings:
        if platform is not None and offering.platform != platform:
            continue
        if shutdown_before is not None:
            shutdown = offering.lifecycle.shutdown_on
            if shutdown is None or shutdown.on >= shutdown_before:
                continue
        current = status_of(offering, day, catalog=cat)
        if wanted_provider is not None and current.provider != wanted_provider:
            continue
        if status is not None and current.state != status:
            continue
        result.append(current)
    result.sort(key=_list_key)
    return result


def _latest_day(shutdown: LifecycleDate) -> date:
    """The last day the shutdown could fall on, as far as the date says."""
    if shutdown.precision == "month":
        first = shutdown.on.replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        return next_month - timedelta(days=1)
    return shutdown.on


def upcoming(
    within_days: int = 90,
    *,
    as_of: date | None = None,
    platform: str | None = None,
    catalog: Catalog | None = None,
) -> list[OfferingStatus]:
    """Return offerings that shut down within ``within_days`` of ``as_of``, soonest first.

    A shutdown on ``as_of`` itself counts (``days_left == 0``); one already past
    does not. A ``month`` date counts until the end of its month. Ties are broken
    by model, platform (in ``PLATFORMS`` order) and platform id.
    """
    if within_days < 0:
        raise ValueError(f"within_days must be >= 0, got {within_days!r}")
    cat = _catalog(catalog)
    day = _today(as_of)
    platform = check_platform(platform)
    result: list[OfferingStatus] = []
    for offering in cat.offerings:
        shutdown = offering.lifecycle.shutdown_on
        if shutdown is None:
            continue
        if platform is not None and offering.platform != platform:
            continue
        if _latest_day(shutdown) < day or (shutdown.on - day).days > within_days:
            continue
        result.append(status_of(offering, day, catalog=cat))
    result.sort(
        key=lambda s: (
            s.offering.lifecycle.shutdown_on.on if s.offering.lifecycle.shutdown_on else day,
            s.offering.model,
            platform_rank(s.offering.platform),
            s.offering.platform_id,
            s.offering.region or "",
        )
    )
    return result


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(text.lower()) if t]


def _search_names(cat: Catalog) -> list[tuple[Model, tuple[str, ...]]]:
    cached = cat._memo.get("search_names")
    if cached is None:
        names: list[tuple[Model, tuple[str, ...]]] = []
        for model in cat.models.values():
            values = {model.id.lower(), *(a.lower() for a in model.aliases)}
            if model.name:
                values.add(model.name.lower())
            values.update(o.platform_id.lower() for o in cat.offerings_of(model.id))
            names.append((model, tuple(sorted(values))))
        cat._memo["search_names"] = cached = names
    result: list[tuple[Model, tuple[str, ...]]] = cached
    return result


def search(text: str, *, limit: int = 20, catalog: Catalog | None = None) -> list[Model]:
    """Return up to ``limit`` models whose ids, aliases, names or platform ids resemble ``text``.

    Ranked exact match first, then prefix, then all query tokens present, then
    by similarity (``difflib`` ratio >= 0.6); ties go to the shorter id.
    """
    import difflib

    cat = _catalog(catalog)
    query = text.strip().lower()
    if not query or limit <= 0:
        return []
    query_tokens = _tokens(query)
    matcher = difflib.SequenceMatcher(b=query, autojunk=False)
    scored: list[tuple[int, float, int, str, Model]] = []
    for model, names in _search_names(cat):
        best: tuple[int, float] | None = None
        for name in names:
            if name == query:
                candidate = (0, 1.0)
            elif name.startswith(query):
                candidate = (1, len(query) / len(name))
            elif query in name or (query_tokens and all(t in _tokens(name) for t in query_tokens)):
                candidate = (2, len(query) / len(name))
            else:
                matcher.set_seq1(name)
                if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
                    continue
                ratio = matcher.ratio()
                if ratio < 0.6:
                    continue
                candidate = (3, ratio)
            if best is None or (candidate[0], -candidate[1]) < (best[0], -best[1]):
                best = candidate
        if best is not None:
            scored.append((best[0], -best[1], len(model.id), model.id, model))
    scored.sort(key=lambda item: item[:4])
    return [item[4] for item in scored[:limit]]


@dataclass(frozen=True)
class Coverage:
    """How much of the catalog its sources describe (``recast models sources``).

    ``unknown`` counts offerings whose state no lifecycle source gives (state ``unknown``);
    ``facts`` counts the lifecycle facts that are set (a state derived from dates included),
    ``sourced_facts`` those that name the page they came from, and ``dated_facts`` those
    whose page also has the day it was read (LiteLLM's file is undated).
    """

    offerings: int
    with_lifecycle: int
    unknown: int
    aliases: int
    facts: int
    sourced_facts: int
    dated_facts: int
    conflicts: int
    lifecycle_conflicts: int
    by_platform: dict[str, tuple[int, int]]  # platform -> (offerings, unknown)

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        return {
            "offerings": self.offerings,
            "with_lifecycle_source": self.with_lifecycle,
            "unknown": self.unknown,
            "aliases": self.aliases,
            "facts": self.facts,
            "sourced_facts": self.sourced_facts,
            "dated_facts": self.dated_facts,
            "conflicts": self.conflicts,
            "lifecycle_conflicts": self.lifecycle_conflicts,
            "by_platform": {
                p: {"offerings": n, "unknown": u} for p, (n, u) in sorted(self.by_platform.items())
            },
        }


def coverage(catalog: Catalog | None = None) -> Coverage:
    """Count what the catalog's lifecycle sources cover (see :class:`Coverage`)."""
    cat = _catalog(catalog)
    by_platform: dict[str, list[int]] = {}
    with_lifecycle = facts = sourced = dated = aliases = 0
    for offering in cat.offerings:
        lifecycle = offering.lifecycle
        described = lifecycle.state != "unknown"  # the recorded state, as the build counts
        counts = by_platform.setdefault(offering.platform, [0, 0])
        counts[0] += 1
        if described:
            with_lifecycle += 1
        else:
            counts[1] += 1
        aliases += offering.alias_of is not None
        for name in LIFECYCLE_FACTS:
            fact = lifecycle.fact(name)
            if fact.value in (None, (), "unknown"):
                continue
            facts += 1
            sourced += fact.source is not None
            dated += fact.source is not None and fact.source.accessed_on is not None
    return Coverage(
        offerings=len(cat),
        with_lifecycle=with_lifecycle,
        unknown=len(cat) - with_lifecycle,
        aliases=aliases,
        facts=facts,
        sourced_facts=sourced,
        dated_facts=dated,
        conflicts=len(cat.conflicts),
        lifecycle_conflicts=sum(1 for c in cat.conflicts if c.is_lifecycle),
        by_platform={p: (n, u) for p, (n, u) in by_platform.items()},
    )
