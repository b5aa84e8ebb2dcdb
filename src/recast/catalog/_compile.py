"""Merge what every importer read into one :class:`Catalog`, recording every disagreement.

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

``catalog`` is the existing catalog while ``recast models sync`` merges one source into
it: it ranks just below the top source of each model field group, so a sync of that top
source refreshes the field and a sync of a lower one only fills gaps.

A disagreement between two sources on a lifecycle date, state, recommended
replacement, price or limit becomes a :class:`Conflict` naming every source's
value, the value kept and why. Sources of every record are kept. Offerings are
never dropped, whatever their state. The output is deterministic: the same
inputs give the same catalog (apart from ``built_at``).

Importers live in :mod:`recast.catalog.sources`; this module only needs their
results, so it imports neither yaml nor tomllib.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from recast.catalog._catalog import Catalog
from recast.catalog._model import (
    Capabilities,
    Conflict,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    Prices,
    Replacement,
    Source,
    State,
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
        "catalog",
    ),
    "prices": ("overlay", "litellm", "catalog", "models.dev"),
    "limits": ("overlay", "litellm", "catalog", "models.dev"),
    "capabilities": ("overlay", "models.dev", "catalog", "litellm"),
    "identity": (
        "overlay",
        "modeldeprecations.dev",
        "catalog",
        "models.dev",
        "litellm",
        "deprecations.info",
        *ENDPOINTS,
    ),
}

_SEVERITY = {"active": 0, "legacy": 1, "deprecated": 2, "retired": 3}


def _rank(group: str, importer: str) -> int:
    order = PRECEDENCE[group]
    return order.index(importer) if importer in order else len(order)


def _reason(group: str, importer: str, values: Iterable[tuple[str, object]] = ()) -> str:
    others = sorted({imp for imp, _ in values if imp != importer})
    beaten = f" over {', '.join(others)}" if others else ""
    return f"{importer} has precedence{beaten} for {group}"


def _date_text(value: LifecycleDate) -> str:
    return str(value)


def _consistent(a: LifecycleDate, b: LifecycleDate) -> bool:
    """Whether two sources' dates can describe the same day (``≥2026-09-29`` allows 2026-11-30)."""
    if a.on == b.on:
        return True
    for x, y in ((a, b), (b, a)):
        if x.precision == "not_before" and y.on >= x.on:
            return True
        if x.precision == "month" and (x.on.year, x.on.month) == (y.on.year, y.on.month):
            return True
    return False


def _merge_offering(records: list[OfferingRecord], conflicts: list[Conflict]) -> Offering:
    records = sorted(records, key=lambda r: (_rank("lifecycle", r.importer), r.importer))
    first = records[0]
    identity = min(records, key=lambda r: (_rank("identity", r.importer), r.importer))
    platform, platform_id = first.platform, identity.platform_id

    def pick_date(name: str) -> LifecycleDate | None:
        values = [(r.importer, getattr(r, name)) for r in records if getattr(r, name) is not None]
        if not values:
            return None
        chosen: LifecycleDate = values[0][1]
        # A vaguer date ("not before", month) gives way to an exact one it allows.
        if chosen.precision != "exact":
            for _, value in values[1:]:
                if value.precision == "exact" and _consistent(chosen, value):
                    chosen = value
                    break
        # "catalog" (the catalog before a sync) only fills gaps; it is not a source to argue with.
        arguing = [(imp, v) for imp, v in values if imp != "catalog"]
        if any(not _consistent(chosen, v) for _, v in arguing):
            conflicts.append(
                Conflict(
                    platform=platform,
                    platform_id=platform_id,
                    field=name,
                    values=tuple((imp, _date_text(v)) for imp, v in arguing),
                    chosen=_date_text(chosen),
                    reason=_reason("lifecycle", values[0][0], arguing),
                )
            )
        return chosen

    announced = pick_date("announced_on")
    deprecated = pick_date("deprecated_on")
    shutdown = pick_date("shutdown_on")

    states = [(r.importer, r.state) for r in records if r.state is not None]
    arguing = [(imp, st) for imp, st in states if imp != "catalog"]
    state: State
    if states:
        state = states[0][1]
        distinct_states = {s for _, s in arguing}
        # "deprecated" vs "retired" is one source being read later than another; not worth a row.
        if len(distinct_states) > 1 and distinct_states != {"deprecated", "retired"}:
            conflicts.append(
                Conflict(
                    platform=platform,
                    platform_id=platform_id,
                    field="state",
                    values=tuple((imp, str(s)) for imp, s in arguing),
                    chosen=state,
                    reason=_reason("lifecycle", states[0][0], arguing),
                )
            )
    elif shutdown is not None or deprecated is not None:
        state = "deprecated"
    else:
        state = "active"

    replacements: tuple[Replacement, ...] = ()
    with_replacements = [r for r in records if r.replacements]
    if with_replacements:
        # The top source's list wins; a note another source gives for the same model is kept.
        notes = {
            rep.model: rep.note for r in with_replacements for rep in r.replacements if rep.note
        }
        replacements = tuple(
            rep if rep.note or rep.model not in notes else replace(rep, note=notes[rep.model])
            for rep in with_replacements[0].replacements
        )
        recommended = {
            r.importer: _recommended(r.replacements).model
            for r in with_replacements
            if r.importer != "catalog"
        }
        if len(set(recommended.values())) > 1:
            conflicts.append(
                Conflict(
                    platform=platform,
                    platform_id=platform_id,
                    field="replacement",
                    values=tuple(recommended.items()),
                    chosen=_recommended(replacements).model,
                    reason=_reason("lifecycle", with_replacements[0].importer, recommended.items()),
                )
            )

    sources: list[Source] = []
    seen_urls: set[str] = set()
    for record in records:
        for source in record.sources:
            if source.url not in seen_urls:
                seen_urls.add(source.url)
                sources.append(source)

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
        region=first.region,
        lifecycle=Lifecycle(
            state=state,
            announced_on=announced,
            deprecated_on=deprecated,
            shutdown_on=shutdown,
            replacements=replacements,
            sources=tuple(sources),
        ),
        prices=prices,
    )


def _recommended(replacements: Sequence[Replacement]) -> Replacement:
    for replacement in replacements:
        if replacement.recommended:
            return replacement
    return replacements[0]


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


def _stamp_prices(result: ImportResult) -> ImportResult:
    """Give the result's prices its ``as_of`` date where they have none."""
    if result.as_of is None:
        return result
    when = result.as_of
    for record in result.offerings:
        if record.prices is not None and record.prices.as_of is None:
            record.prices = replace(record.prices, as_of=when)
    result.models = [
        replace(m, prices=replace(m.prices, as_of=when))
        if m.prices is not None and m.prices.as_of is None
        else m
        for m in result.models
    ]
    return result


def compile_catalog(results: Iterable[ImportResult]) -> Catalog:
    """Merge importer results into one catalog (deterministic; see the module docstring)."""
    results = [_stamp_prices(r) for r in results]
    conflicts: list[Conflict] = []
    groups: dict[tuple[str, str, str | None], list[OfferingRecord]] = defaultdict(list)
    for result in results:
        for record in result.offerings:
            groups[(record.platform, record.platform_id.lower(), record.region)].append(record)

    offerings: list[Offering] = []
    provider_of: dict[str, str] = {}
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "")):
        offering = _merge_offering(groups[key], conflicts)
        offerings.append(offering)
        for record in sorted(groups[key], key=lambda r: _rank("identity", r.importer)):
            provider_of.setdefault(offering.model, record.provider)

    partials: dict[str, list[tuple[str, Model]]] = defaultdict(list)
    for result in results:
        for model in result.models:
            partials[model.id].append((result.source, model))

    models: list[Model] = []
    for model_id in sorted(set(partials) | {o.model for o in offerings}):
        found = partials.get(model_id)
        if not found:
            found = [("compile", Model(id=model_id, provider=provider_of.get(model_id, "unknown")))]
        provider = found[0][1].provider
        home = home_platform(provider) or (found[0][1].provider if provider else "")
        models.append(_merge_models(model_id, found, (home, model_id), conflicts))

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
    return Catalog.build(models, slim, conflicts, provenance)
