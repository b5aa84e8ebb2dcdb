"""Merge what every importer read into one :class:`Catalog`, keeping every source's claim.

Precedence (first source that has a value wins; see ``docs/catalog-sources.md``):

================== ======================================================================
field group        precedence, highest first
================== ======================================================================
lifecycle dates,   provider endpoints (``openai-models-endpoint``,
state,             ``mistral-models-endpoint``) > ``overlay`` > ``modeldeprecations.dev`` >
replacements       ``deprecations.info`` > ``litellm`` > ``models.dev``
prices, limits     ``overlay`` > ``litellm`` > ``models.dev``
capabilities       ``overlay`` > ``models.dev`` > ``litellm``
name, provider,    ``overlay`` > ``modeldeprecations.dev`` > ``models.dev`` > ``litellm`` >
family, release    ``deprecations.info`` > provider endpoints
================== ======================================================================

Lifecycle facts are picked one by one (state, each date, the replacement list), and every
source's statement about the offering is kept as a :class:`~recast.catalog.Claim`, so each
fact names the source it came from and the values the others gave. The rules on top of
the table:

* A vaguer date gives way to a more precise one it allows: an exact date *later* than a
  "not before" floor, or an exact day in a ``month``. A floor repeated as an exact date on
  the same day stays a floor.
* A source that outranks another and explicitly calls the offering ``active`` (or
  ``legacy``) without giving a date overrules the other's date: ``gpt-4o`` is a floating
  pointer that modeldeprecations.dev calls active, so LiteLLM's shutdown date for it is
  recorded as a conflict and not kept.
* An alias (``claude-opus-4-1`` of ``claude-opus-4-1-20250805``) has no lifecycle of its
  own: its records join its target's, and its offering carries the target's lifecycle.
* No claim at all means state ``unknown``, never ``active``.

``catalog`` is the existing catalog while ``recast models sync`` merges one source into
it: it ranks just below the top source of each model field group, so a sync of that top
source refreshes the field and a sync of a lower one only fills gaps.

A disagreement between two sources on a lifecycle date, state, recommended
replacement, price or limit becomes a :class:`Conflict` naming every source's
value, the value kept and why. Offerings are never dropped, whatever their state.
The output is deterministic: the same inputs give the same catalog.

Importers live in :mod:`recast.catalog.sources`; this module only needs their
results, so it imports neither yaml nor tomllib.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from recast.catalog._catalog import Catalog
from recast.catalog._facts import merge_lifecycle, precedence_reason
from recast.catalog._model import (
    Capabilities,
    Claim,
    Conflict,
    Model,
    Offering,
    Prices,
)
from recast.catalog._platforms import home_platform
from recast.catalog.sources._common import ImportResult, OfferingRecord

ENDPOINTS = ("openai-models-endpoint", "mistral-models-endpoint", "models-endpoint")

#: Field group -> importer names, highest precedence first. Unlisted importers come last.
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "lifecycle": (
        *ENDPOINTS,
        "overlay",
        "modeldeprecations.dev",
        "deprecations.info",
        "litellm",
        "models.dev",
    ),
    "prices": ("overlay", "litellm", "catalog", "models.dev"),
    "limits": ("overlay", "litellm", "catalog", "models.dev"),
    "capabilities": ("overlay", "models.dev", "catalog", "litellm"),
    # "catalog" (the catalog a sync starts from) keeps names the overlay or a source set.
    "identity": (
        "overlay",
        "catalog",
        "modeldeprecations.dev",
        "models.dev",
        "litellm",
        "deprecations.info",
        *ENDPOINTS,
    ),
}

#: Importers whose own record for an id makes it a model with its own lifecycle (a
#: pointer such as ``gpt-4o``) rather than an alias, even if another model lists it.
_OWN_LIFECYCLE = (*ENDPOINTS, "overlay", "modeldeprecations.dev")

OfferingKey = tuple[str, str, str | None]


def _rank(group: str, importer: str) -> int:
    order = PRECEDENCE[group]
    return order.index(importer) if importer in order else len(order)


def _reason(group: str, importer: str, values: Iterable[tuple[str, object]] = ()) -> str:
    return precedence_reason(importer, (imp for imp, _ in values), group)


def _accessed(record: OfferingRecord, url: str) -> date | None:
    for source in record.sources:
        if source.url == url:
            return source.accessed_on
    return record.sources[0].accessed_on if record.sources else None


def claim_of(record: OfferingRecord, via: str = "") -> Claim:
    """What ``record`` says of its offering's lifecycle, each replacement stamped with its
    importer and access date."""
    return Claim(
        importer=record.importer,
        sources=record.sources,
        state=record.state,
        announced_on=record.announced_on,
        deprecated_on=record.deprecated_on,
        shutdown_on=record.shutdown_on,
        replacements=tuple(
            replace(
                r,
                importer=r.importer or record.importer,
                accessed_on=r.accessed_on or _accessed(record, r.source_url),
            )
            for r in record.replacements
        ),
        via=via,
        denies=record.denies,
    )


def _key(record: OfferingRecord) -> OfferingKey:
    return (record.platform, record.platform_id.lower(), record.region)


def _by_rank(records: Iterable[OfferingRecord], group: str = "lifecycle") -> list[OfferingRecord]:
    return sorted(records, key=lambda r: (_rank(group, r.importer), r.importer, r.platform_id))


# --------------------------------------------------------------------------- aliases


def alias_targets(results: Sequence[ImportResult]) -> dict[str, str]:
    """Alias id -> the model it names, from every source's ``Model.aliases``.

    An id that a top source describes in a record of its own (modeldeprecations.dev's
    ``gpt-4o``) keeps its own lifecycle and is not an alias, unless the overlay, which is
    curated from the provider's page, says it is (modeldeprecations.dev's slug
    ``ministral-3-8b-2512`` is Mistral's API id ``ministral-8b-2512``). Nor is an id two
    models both claim (the first by identity precedence wins) or a model's own id.
    """
    own = {
        r.model
        for result in results
        for r in result.offerings
        if r.importer in _OWN_LIFECYCLE and r.model
    }
    named: dict[str, str] = {}
    # Where an alias points is a lifecycle fact (it moves): lifecycle precedence, live
    # provider data first; the catalog a sync starts from (unranked) comes last.
    ranked = sorted(results, key=lambda r: _rank("lifecycle", r.source))
    for result in ranked:
        curated = result.source == "overlay"
        for model in result.models:
            for alias in model.aliases:
                alias = alias.lower()
                if alias != model.id and (alias not in own or curated):
                    named.setdefault(alias, model.id)
    return {a: t for a, t in named.items() if a not in named.values()}


def _fold_aliases(
    groups: dict[OfferingKey, list[OfferingRecord]], targets: dict[str, str]
) -> dict[OfferingKey, OfferingKey]:
    """Point each alias record at its model; return alias offering key -> target's key.

    The target's key is its offering on the same platform and region; an alias whose
    model has no offering there keeps a lifecycle of its own (its own records). A record
    is an alias record only when its platform id spells the alias.
    """
    home: dict[tuple[str, str, str | None], OfferingKey] = {}
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "")):
        for record in groups[key]:
            if record.model not in targets:
                slot = (key[0], record.model, key[2])
                if slot not in home or key[1] == record.model:
                    home[slot] = key
    followed: dict[OfferingKey, OfferingKey] = {}
    for key, records in groups.items():
        # Only a record that spells the alias itself names the alias: Vertex's
        # "mistral-medium-3@001" is Mistral Medium 3, whatever Mistral's API alias
        # "mistral-medium-3" points to today.
        spelled = [r for r in records if r.model in targets and r.platform_id.lower() == r.model]
        if not spelled:
            continue
        alias = spelled[0].model
        groups[key] = [replace(r, model=targets[r.model]) if r in spelled else r for r in records]
        target = home.get((key[0], targets[alias], key[2]))
        if target is not None and target != key:
            followed[key] = target
    return followed


# --------------------------------------------------------------------------- offerings


def _merge_offering(
    records: list[OfferingRecord],
    followed: list[OfferingRecord],
    conflicts: list[Conflict],
    alias_of: str | None = None,
) -> Offering:
    """One offering from its records; ``followed`` are the records of the offering whose
    lifecycle this one shares (the alias's target and its other aliases)."""
    records = _by_rank(records)
    identity = min(records, key=lambda r: (_rank("identity", r.importer), r.importer))
    platform, platform_id = records[0].platform, identity.platform_id
    lifecycle_records = _by_rank(followed or records)
    target_pid = alias_of or platform_id
    claims = [
        claim_of(r, via=r.platform_id if r.platform_id.lower() != target_pid.lower() else "")
        for r in lifecycle_records
    ]
    lifecycle = merge_lifecycle(claims, platform, target_pid, conflicts if not alias_of else [])
    priced = sorted(
        ((r.importer, r.prices) for r in records if r.prices is not None),
        key=lambda item: (_rank("prices", item[0]), item[0]),
    )
    prices: Prices | None = priced[0][1] if priced else None
    priced = [(imp, p) for imp, p in priced if imp != "catalog"]
    if len(priced) > 1:
        _price_conflict(platform, platform_id, priced, conflicts)
    return Offering(
        model=identity.model,
        platform=platform,
        platform_id=platform_id,
        region=records[0].region,
        lifecycle=lifecycle,
        prices=prices,
        alias_of=alias_of,
    )


def _merge_offerings(
    groups: dict[OfferingKey, list[OfferingRecord]],
    followed: dict[OfferingKey, OfferingKey],
    conflicts: list[Conflict],
) -> list[Offering]:
    """Every offering; an alias and its target share one lifecycle merged from both."""
    sharing: dict[OfferingKey, list[OfferingRecord]] = defaultdict(list)
    for key, records in groups.items():
        sharing[followed.get(key, key)].extend(records)
    offerings: list[Offering] = []
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "")):
        target = followed.get(key)
        shared = sharing[target or key]
        alias_of = None
        if target is not None:
            alias_of = _by_rank(groups[target], "identity")[0].platform_id
        offerings.append(
            _merge_offering(
                groups[key], shared if len(shared) > len(groups[key]) else [], conflicts, alias_of
            )
        )
    return offerings


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    return abs(a - b) > max(abs(a), abs(b)) * 0.01 + 1e-9


def _price_conflict(
    platform: str,
    platform_id: str,
    values: list[tuple[str, Prices]],
    conflicts: list[Conflict],
) -> None:
    chosen = values[0][1]
    for attr in ("input", "output"):
        if any(_differs(getattr(chosen, attr), getattr(p, attr)) for _, p in values[1:]):
            conflicts.append(
                Conflict(
                    platform=platform,
                    platform_id=platform_id,
                    field=f"prices.{attr}",
                    values=tuple(
                        (imp, f"{getattr(p, attr)}")
                        for imp, p in values
                        if getattr(p, attr) is not None
                    ),
                    chosen=f"{getattr(chosen, attr)}",
                    reason=_reason("prices", values[0][0], values),
                )
            )


def _merge_models(
    model_id: str,
    partials: list[tuple[str, Model]],
    home_key: tuple[str, str],
    conflicts: list[Conflict],
) -> Model:
    def ordered(group: str) -> list[tuple[str, Model]]:
        return sorted(partials, key=lambda p: (_rank(group, p[0]), p[0]))

    identity = ordered("identity")
    provider = next((m.provider for _, m in identity if m.provider), "unknown")
    name = next((m.name for _, m in identity if m.name), "")
    family = next((m.family for _, m in identity if m.family), None)
    released = next((m.released_on for _, m in identity if m.released_on), None)
    aliases: list[str] = []
    for _, m in identity:
        for alias in m.aliases:
            if alias != model_id and alias not in aliases:
                aliases.append(alias)

    def pick_int(attr: str) -> int | None:
        values: list[tuple[str, int]] = []
        for imp, m in ordered("limits"):
            if getattr(m, attr) and imp not in {i for i, _ in values}:
                values.append((imp, getattr(m, attr)))
        if not values:
            return None
        if len({v for _, v in values}) > 1:
            conflicts.append(
                Conflict(
                    platform=home_key[0],
                    platform_id=home_key[1],
                    field=attr,
                    values=tuple((imp, str(v)) for imp, v in values),
                    chosen=str(values[0][1]),
                    reason=_reason("limits", values[0][0], values),
                )
            )
        return int(values[0][1])

    caps: dict[str, bool | None] = {}
    for attr in ("vision", "tools", "structured_output", "reasoning", "audio"):
        caps[attr] = next(
            (
                getattr(m.capabilities, attr)
                for _, m in ordered("capabilities")
                if getattr(m.capabilities, attr) is not None
            ),
            None,
        )
    priced: list[tuple[str, Prices]] = []
    for imp, m in ordered("prices"):
        if m.prices is not None and imp not in {i for i, _ in priced}:
            priced.append((imp, m.prices))
    prices = priced[0][1] if priced else None
    if len(priced) > 1:
        _price_conflict(home_key[0], home_key[1], priced, conflicts)
    return Model(
        id=model_id,
        provider=provider,
        name=name,
        family=family,
        aliases=tuple(aliases),
        released_on=released,
        capabilities=Capabilities(**caps),
        context_window=pick_int("context_window"),
        max_output_tokens=pick_int("max_output_tokens"),
        prices=prices,
    )


def _stamp(result: ImportResult) -> ImportResult:
    """Date what the result left undated with its snapshot day (``as_of``): prices get
    ``as_of``, sources their ``accessed_on`` (the day that copy of the source was read)."""
    if result.as_of is None:
        return result
    when = result.as_of
    for record in result.offerings:
        if record.prices is not None and record.prices.as_of is None:
            record.prices = replace(record.prices, as_of=when)
        if any(s.accessed_on is None for s in record.sources):
            record.sources = tuple(
                s if s.accessed_on is not None else replace(s, accessed_on=when)
                for s in record.sources
            )
    result.models = [
        replace(m, prices=replace(m.prices, as_of=when))
        if m.prices is not None and m.prices.as_of is None
        else m
        for m in result.models
    ]
    return result


def compile_catalog(results: Iterable[ImportResult], *, built_at: str = "") -> Catalog:
    """Merge importer results into one catalog (deterministic; see the module docstring).

    ``built_at`` stamps the catalog; by default the newest snapshot day among the results,
    so rebuilding the same inputs gives the same bytes.
    """
    results = [_stamp(r) for r in results]
    conflicts: list[Conflict] = []
    groups: dict[OfferingKey, list[OfferingRecord]] = defaultdict(list)
    for result in results:
        for record in result.offerings:
            groups[_key(record)].append(record)
    targets = alias_targets(results)
    followed = _fold_aliases(groups, targets)
    offerings = _merge_offerings(groups, followed, conflicts)

    provider_of: dict[str, str] = {}
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "")):
        for record in _by_rank(groups[key], "identity"):
            provider_of.setdefault(targets.get(record.model, record.model), record.provider)

    used = {o.model for o in offerings}
    partials: dict[str, list[tuple[str, Model]]] = defaultdict(list)
    for result in results:
        for model in result.models:
            if model.id not in targets or model.id in used:  # a folded alias is its target
                partials[model.id].append((result.source, model))

    models: list[Model] = []
    for model_id in sorted(set(partials) | {o.model for o in offerings}):
        found = partials.get(model_id)
        if not found:
            found = [("compile", Model(id=model_id, provider=provider_of.get(model_id, "unknown")))]
        provider = found[0][1].provider
        home = home_platform(provider) or (found[0][1].provider if provider else "")
        model = _merge_models(model_id, found, (home, model_id), conflicts)
        # An alias names one model: the one the alias rule gave it (a stale copy of an
        # alias that moved, read back from the catalog by a sync, is dropped).
        kept = tuple(a for a in model.aliases if targets.get(a, model_id) == model_id)
        extra = sorted(a for a, t in targets.items() if t == model_id and a not in kept)
        if extra or kept != model.aliases:
            model = replace(model, aliases=(*kept, *extra))
        models.append(model)

    # Offering prices equal to the model's are redundant: drop them to keep the file small.
    by_id = {m.id: m for m in models}
    slim: list[Offering] = []
    for offering in offerings:
        owner = by_id.get(offering.model)
        if offering.prices is not None and owner is not None and owner.prices == offering.prices:
            offering = replace(offering, prices=None)
        slim.append(offering)

    provenance: list[dict[str, Any]] = [r.summary() for r in results]
    unique: dict[tuple[str, str, str], Conflict] = {}
    for conflict in conflicts:  # offering-level rows first, so they win over model-level ones
        unique.setdefault(
            (conflict.platform, conflict.platform_id.lower(), conflict.field), conflict
        )
    conflicts = sorted(unique.values(), key=lambda c: (c.platform, c.platform_id, c.field))
    stamp = built_at or _snapshot_stamp(results)
    return Catalog({m.id: m for m in models}, slim, conflicts, stamp, provenance)


def _snapshot_stamp(results: Sequence[ImportResult]) -> str:
    """The newest snapshot day of the inputs, as a UTC timestamp (``""`` when none is dated)."""
    days = [r.as_of for r in results if r.as_of is not None]
    return f"{max(days).isoformat()}T00:00:00+00:00" if days else ""
