"""The live replacement: follow what the sources name until a model that still works.

Sources name a replacement when they retire a model, and that replacement is often retired
too (``o1-mini`` -> ``o4-mini``, itself shut down). recast only ever recommends or writes
the end of the chain that is alive on the same platform on the day asked about.

:func:`advise` follows each offering's recommended replacement (on the platform the
naming source gives, else the same one) and stops at the first offering that is
``active``, ``legacy`` or of ``unknown`` lifecycle (listed there but described by no
lifecycle source: alive as far as anyone says, and marked unverified). A ``deprecated``
link is followed on to its own replacement; when the chain goes no further (it names
none, names a model the platform does not offer or that is retired, leaves the choice
open, or loops), the last link still answering on that day is the advice, with its
shutdown date, and the reason the chain stopped. A ``retired`` model is never advised:
when no link is alive, the advice is nothing, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recast.catalog._catalog import Catalog, load_catalog
from recast.catalog._model import Offering, Replacement, State
from recast.catalog._platforms import home_platform

#: States where a chain stops: alive and not going away (``unknown``: alive, unverified).
SETTLED: frozenset[str] = frozenset({"active", "legacy", "unknown"})

#: States of a link that still answers on the day (``deprecated``: until its shutdown).
ALIVE: frozenset[str] = SETTLED | {"deprecated"}

#: Longest chain followed; real ones have at most four links.
MAX_STEPS = 12


@dataclass(frozen=True)
class Step:
    """One link of a replacement chain: a named replacement, as found on its platform.

    ``state`` is the offering's state on the advice's day, or ``missing`` when the
    platform has no offering of that model.
    """

    model: str
    platform: str
    offering: Offering | None
    state: State | str
    named_by: Replacement
    #: The id to call it by when the name a source gave is an alias the platform accepts
    #: but the catalog has no offering row for (``omni-moderation-latest``).
    called: str | None = None

    @property
    def alive(self) -> bool:
        """Whether this model still answers on its platform (as far as any source says)."""
        return self.offering is not None and self.state in ALIVE

    @property
    def settled(self) -> bool:
        """Whether the chain stops here: alive and not itself going away. ``unknown`` only
        settles when no source describes the offering (not when it is going away and only
        the onset is unknown on that day)."""
        if self.offering is None or self.state not in SETTLED:
            return False
        return self.state != "unknown" or not self.offering.lifecycle.described

    @property
    def key(self) -> tuple[str, str]:
        """(platform, model) of the link, to tell the chain's start from its ends."""
        return (self.platform, self.offering.model if self.offering else self.model)

    @property
    def platform_id(self) -> str | None:
        """The id to call it by on its platform (``None`` when not offered there)."""
        if self.offering is None:
            return None
        return self.called or self.offering.platform_id

    def to_dict(self) -> dict[str, object]:
        """Render as one element of a chain in JSON output."""
        source = self.named_by.source
        return {
            "model": self.model,
            "platform": self.platform,
            "platform_id": self.platform_id,
            "state": self.state,
            "source": source.to_dict() if source is not None else None,
        }


@dataclass(frozen=True)
class Advice:
    """What to move to from one offering on one day, with the chain that led there.

    ``chain`` starts with the replacement the sources name for ``offering``. ``target`` is
    its live end, or ``None`` when nothing alive is reached (``reason`` says why), when the
    sources name no replacement, or when they name several and recommend none
    (``options`` then holds the advice for each).
    """

    offering: Offering
    as_of: date
    chain: tuple[Step, ...] = ()
    reason: str = ""
    options: tuple[Advice, ...] = ()

    @property
    def named(self) -> Step | None:
        """The replacement the sources name (the chain's first link), if one is chosen."""
        return self.chain[0] if self.chain else None

    @property
    def final(self) -> Step | None:
        """The link to recommend: the first settled one, else the last one still alive;
        never the offering itself (a chain that loops back to it recommends nothing)."""
        start = (self.offering.platform, self.offering.model)
        links = [s for s in self.chain if s.offering is None or s.key != start]
        for step in links:
            if step.settled:
                return step
        alive = [step for step in links if step.alive]
        return alive[-1] if alive else None

    @property
    def target(self) -> Offering | None:
        """The live replacement's offering, or ``None`` (see the class docstring)."""
        final = self.final
        return final.offering if final is not None else None

    @property
    def verified(self) -> bool:
        """Whether the live replacement's own lifecycle is sourced (not ``unknown``)."""
        final = self.final
        return final is not None and final.state != "unknown"

    @property
    def ambiguous(self) -> bool:
        """Whether the sources name several replacements and recommend none."""
        return bool(self.options)

    @property
    def followed(self) -> bool:
        """Whether the live replacement differs from the named one (a chain was followed)."""
        final = self.final
        return final is not None and final is not self.chain[0]

    def text(self) -> str:
        """The chain in one line: ``o4-mini (retired 2026-10-23) -> gpt-5.4-mini (active)``."""
        parts = []
        for step in self.chain:
            label = step.model
            if step.platform != self.offering.platform:
                label += f" on {step.platform}"
            parts.append(f"{label} ({_state_text(step)})")
        return " -> ".join(parts)

    def to_dict(self) -> dict[str, object]:
        """Render for JSON output: the named replacement, the live target and the chain."""
        final = self.final
        return {
            "named": self.named.model if self.named else None,
            "live": final.model if final else None,
            "live_platform": final.platform if final else None,
            "live_platform_id": final.platform_id if final else None,
            "verified": self.verified,
            "chain": [step.to_dict() for step in self.chain],
            "reason": self.reason or None,
            "options": [option.to_dict() for option in self.options],
        }


def _state_text(step: Step) -> str:
    if step.offering is None:
        return f"not offered on {step.platform}"
    shutdown = step.offering.lifecycle.shutdown_on
    if step.state == "retired" and shutdown is not None:
        return f"retired {shutdown}"
    if step.state == "deprecated" and shutdown is not None:
        return f"deprecated, shutdown {shutdown}"
    if step.state == "unknown":
        return "no lifecycle source"
    return str(step.state)


def _offering_on(
    catalog: Catalog, model: str, platform: str, region: str | None
) -> Offering | None:
    """The offering that a replacement named ``model`` means on ``platform``."""
    from recast.catalog._resolve import resolve

    pool = [o for o in catalog.offerings_of(model) if o.platform == platform]
    if not pool:  # named by an alias or another id form (``claude-sonnet-4-5``)
        pool = resolve(model, platform, catalog=catalog)
    if not pool:
        return None

    def rank(o: Offering) -> tuple[int, int, int, str]:
        # The model's own row before an alias row: an alias may be a source's spelling
        # rather than an API id (modeldeprecations.dev's "ministral-3-8b-2512").
        same_region = 0 if o.region == region else 1 if o.region is None else 2
        spelled = 0 if o.platform_id.lower() == model.lower() else 1
        return (same_region, 1 if o.alias_of else 0, spelled, o.platform_id)

    return min(pool, key=rank)


def _called(catalog: Catalog, found: Offering | None, naming: Replacement) -> str | None:
    """The named id itself, when it is an alias of the found offering's model on that
    model's own platform (where its aliases are API ids) and no offering row spells it."""
    if found is None or found.platform_id.lower() == naming.model.lower():
        return None
    if any(
        o.platform == found.platform and o.platform_id.lower() == naming.model.lower()
        for o in catalog.offerings_of(found.model)
    ):
        return None  # a row spells it: an alias the catalog knows, not necessarily an API id
    model = catalog.model(found.model)
    if model is None or naming.model.lower() not in {a.lower() for a in model.aliases}:
        return None
    return naming.model if found.platform == home_platform(model.provider) else None


def _choice(offering: Offering) -> tuple[Replacement | None, tuple[Replacement, ...]]:
    """(the replacement to follow, every one named) for an offering."""
    replacements = offering.lifecycle.replacements
    named = tuple({r.model: r for r in reversed(replacements)}.values())[::-1]
    chosen = next((r for r in replacements if r.recommended), None)
    if chosen is None and len(named) == 1:
        chosen = named[0]
    return chosen, named


def _follow(
    catalog: Catalog, start: Offering, first: Replacement, as_of: date
) -> tuple[tuple[Step, ...], str]:
    steps: list[Step] = []
    seen = {(start.platform, start.model)}
    platform, region, naming = start.platform, start.region, first
    while len(steps) < MAX_STEPS:
        platform = naming.platform or platform
        found = _offering_on(catalog, naming.model, platform, region)
        state = found.lifecycle.state_on(as_of) if found is not None else "missing"
        step = Step(naming.model, platform, found, state, naming, _called(catalog, found, naming))
        steps.append(step)
        if found is None:
            return tuple(steps), f"{naming.model} is not offered on {platform}"
        if step.settled:
            return tuple(steps), ""
        if (platform, found.model) in seen:
            return tuple(steps), f"the chain comes back to {found.model}"
        seen.add((platform, found.model))
        chosen, named = _choice(found)
        if chosen is None:
            if named:
                options = ", ".join(r.model for r in named)
                return tuple(steps), (
                    f"{naming.model} is {_state_text(step)} and names several replacements "
                    f"({options}) without recommending one"
                )
            return tuple(steps), f"{naming.model} is {_state_text(step)} and names no replacement"
        naming, region = chosen, found.region
    return tuple(steps), f"the chain is longer than {MAX_STEPS} steps"


def advise(
    offering: Offering, as_of: date | None = None, *, catalog: Catalog | None = None
) -> Advice:
    """Return what to move to from ``offering`` on ``as_of`` (default today).

    Every command that recommends or writes a replacement uses this: ``models show`` /
    ``upcoming``, ``scan`` and ``--fix``, the gateway's redirects and block messages.
    """
    cat = catalog if catalog is not None else load_catalog()
    day = as_of if as_of is not None else date.today()
    chosen, named = _choice(offering)
    if chosen is None:
        if not named:
            return Advice(offering, day, reason="the sources name no replacement")
        options = tuple(
            Advice(offering, day, *_follow(cat, offering, replacement, day))
            for replacement in named
        )
        listed = ", ".join(r.model for r in named)
        return Advice(
            offering,
            day,
            reason=f"the sources name several replacements ({listed}) and recommend none",
            options=options,
        )
    chain, reason = _follow(cat, offering, chosen, day)
    return Advice(offering, day, chain, reason)


def live_replacement(
    offering: Offering, as_of: date | None = None, *, catalog: Catalog | None = None
) -> Offering | None:
    """The live replacement's offering for ``offering`` on ``as_of``, or ``None``."""
    return advise(offering, as_of, catalog=catalog).target
