"""Pick each lifecycle fact of one offering from what every source claimed.

One function, :func:`merge_lifecycle`, turns the claims of every source about one offering
into a :class:`Lifecycle` whose facts (state, each date, the replacement list) each name
the source they came from, and records a :class:`Conflict` wherever the sources disagree
in a way a reader should see. The rules are documented in ``docs/catalog-sources.md``
("Precedence") and in :mod:`recast.catalog._compile`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from recast.catalog._model import (
    Claim,
    Conflict,
    Lifecycle,
    LifecycleDate,
    Replacement,
    State,
    recommended_of,
)

_DATES = ("announced_on", "deprecated_on", "shutdown_on")
_LABEL = {
    "announced_on": "announcement date",
    "deprecated_on": "deprecation date",
    "shutdown_on": "shutdown date",
}


def consistent(a: LifecycleDate, b: LifecycleDate) -> bool:
    """Whether two sources' dates can describe the same day (``≥2026-09-29`` allows 2026-11-30)."""
    if a.on == b.on:
        return True
    for x, y in ((a, b), (b, a)):
        if x.precision == "not_before" and y.on >= x.on:
            return True
        if x.precision == "month" and (x.on.year, x.on.month) == (y.on.year, y.on.month):
            return True
    return False


def _refines(vague: LifecycleDate, exact: LifecycleDate) -> bool:
    """Whether ``exact`` says more than ``vague`` without contradicting it.

    A floor repeated on the same day is not more precise: ``≥2026-09-29`` and an "exact"
    2026-09-29 from a source that copied the floor stay a floor.
    """
    if exact.precision != "exact":
        return False
    if vague.precision == "not_before":
        return exact.on > vague.on
    if vague.precision == "month":
        return (vague.on.year, vague.on.month) == (exact.on.year, exact.on.month)
    return False


def precedence_reason(winner: str, others: Iterable[str], group: str = "lifecycle") -> str:
    """Why a value was kept: ``"overlay has precedence over litellm for lifecycle"``."""
    beaten = sorted({o for o in others if o != winner})
    over = f" over {', '.join(beaten)}" if beaten else ""
    return f"{winner} has precedence{over} for {group}"


@dataclass
class _Merge:
    """The claims about one offering (highest precedence first) and what was decided."""

    claims: Sequence[Claim]
    platform: str
    platform_id: str
    conflicts: list[Conflict]
    origins: dict[str, str] = field(default_factory=dict)

    def conflict(self, name: str, values: Iterable[tuple[str, str]], chosen: str, why: str) -> None:
        self.conflicts.append(
            Conflict(
                platform=self.platform,
                platform_id=self.platform_id,
                field=name,
                values=tuple(dict.fromkeys(values)),
                chosen=chosen,
                reason=why,
            )
        )

    @property
    def top_state(self) -> Claim | None:
        return next((c for c in self.claims if c.state is not None), None)

    def denier(self, claim: Claim, name: str, active_rule: bool = True) -> Claim | None:
        """The higher-ranked claim that explicitly contradicts ``claim``'s value for ``name``:
        one that says the provider gives no such fact (``denies``), or (``active_rule``)
        one that says the offering is active/legacy and gives no value for it."""
        rank = self.claims.index(claim)
        for other in self.claims[:rank]:
            if name in other.denies:
                return other
        top = self.top_state
        if not active_rule or top is None or top.state not in ("active", "legacy"):
            return None
        if top.says(name):
            return None
        return top if self.claims.index(top) < rank else None

    def overrules(self, claim: Claim, name: str, active_rule: bool = True) -> bool:
        """Whether a higher-ranked claim explicitly contradicts ``claim`` on ``name``."""
        return self.denier(claim, name, active_rule) is not None

    def overruled(self, said: Sequence[Claim], name: str, active_rule: bool = True) -> None:
        """Record the conflict for the values of ``said`` that a higher claim overrules."""
        dropped = [c for c in said if self.overrules(c, name, active_rule)]
        denier = self.denier(dropped[0], name, active_rule) if dropped else None
        if denier is None:
            return
        kept = [c for c in said if c not in dropped]
        what = "no replacement" if name == "replacements" else f"no {_LABEL[name]}"
        if name in denier.denies:
            stance = f"says the provider publishes {what}"
        else:
            stance = f"says {denier.state} with {what}"
        self.conflict(
            "replacement" if name == "replacements" else name,
            [(c.importer, _text(name, c)) for c in said] + [(denier.importer, stance)],
            _text(name, kept[0]) if kept else "none",
            f"{denier.importer} has precedence and {stance}; "
            f"{', '.join(sorted({c.importer for c in dropped}))} not kept",
        )

    def date(self, name: str) -> LifecycleDate | None:
        said: list[tuple[Claim, LifecycleDate]] = [
            (c, c.value(name)) for c in self.claims if c.says(name)
        ]
        if not said:
            return None
        live = [(c, v) for c, v in said if not self.overrules(c, name)]
        self.overruled([c for c, _ in said], name)
        if not live:
            return None
        claim, chosen = live[0]
        refined: tuple[Claim, LifecycleDate] | None = None
        for other, value in live[1:]:
            if chosen.precision != "exact" and _refines(chosen, value):
                refined = (claim, chosen)
                claim, chosen = other, value
                break
        if any(not consistent(chosen, v) for _, v in live):
            self.conflict(
                name,
                [(c.importer, str(v)) for c, v in live],
                str(chosen),
                precedence_reason(live[0][0].importer, (c.importer for c, _ in live)),
            )
        elif refined is not None:  # a real disagreement above says more than this note
            self._refined(name, *refined, claim, chosen)
        self.origins[name] = claim.importer
        return chosen

    def _refined(
        self, name: str, vague: Claim, floor: LifecycleDate, exact: Claim, day: LifecycleDate
    ) -> None:
        """A lower source's exact date made a higher one's vaguer date precise. Not a
        disagreement, but when the higher source also calls the offering active, the kept
        date is the lower source's word alone, and the reader should see that."""
        top = self.top_state
        if top is not vague or top.state not in ("active", "legacy"):
            return
        self.conflict(
            name,
            [(vague.importer, str(floor)), (exact.importer, str(day))],
            str(day),
            f"{exact.importer}'s exact date is within {vague.importer}'s {floor} and is kept; "
            f"{vague.importer} itself says {top.state} with no exact date",
        )

    def state(self, dated: bool) -> State:
        top = self.top_state
        if top is None:
            if dated:
                self.origins["state"] = "derived"
                return "deprecated"
            return "unknown"
        stated = [(c.importer, str(c.state)) for c in self.claims if c.state is not None]
        distinct = {s for _, s in stated}
        # "deprecated" vs "retired" is one source read later than another; not worth a row.
        if len(distinct) > 1 and distinct != {"deprecated", "retired"}:
            self.conflict(
                "state",
                stated,
                str(top.state),
                precedence_reason(top.importer, (i for i, _ in stated)),
            )
        self.origins["state"] = top.importer
        return top.state or "unknown"

    def replacements(self, dated: bool) -> tuple[Replacement, ...]:
        """The replacement list of the top source naming any; ``dated``: a shutdown or
        deprecation date was kept, so no "active" claim can overrule a successor."""
        said = [c for c in self.claims if c.replacements]
        active_rule = not dated
        named = [c for c in said if not self.overrules(c, "replacements", active_rule)]
        self.overruled(said, "replacements", active_rule)
        if not named:
            return ()
        # The top source's list wins; a note another source gives for the same model is kept.
        notes: dict[str, tuple[str, str]] = {}
        for claim in named:
            for r in claim.replacements:
                if r.note:
                    notes.setdefault(r.model, (r.note, claim.importer))
        chosen = tuple(
            r
            if r.note or r.model not in notes
            else replace(r, note=notes[r.model][0], note_by=notes[r.model][1])
            for r in named[0].replacements
        )
        self.origins["replacements"] = named[0].importer
        recommended = {c.importer: _model_of(recommended_of(c.replacements)) for c in named}
        if len(set(recommended.values())) > 1:
            self.conflict(
                "replacement",
                recommended.items(),
                _model_of(recommended_of(chosen)),
                precedence_reason(named[0].importer, recommended),
            )
        return chosen


def _text(name: str, claim: Claim) -> str:
    """A claim's value for a fact, as conflict text."""
    if name == "replacements":
        return _model_of(recommended_of(claim.replacements))
    return str(claim.value(name))


def _model_of(replacement: Replacement | None) -> str:
    return replacement.model if replacement is not None else ""


def merge_lifecycle(
    claims: Sequence[Claim], platform: str, platform_id: str, conflicts: list[Conflict]
) -> Lifecycle:
    """The lifecycle of one offering from its claims, highest precedence first.

    Disagreements worth reading are appended to ``conflicts``.
    """
    # A claim that states nothing but names its page (an overlay row recording an id)
    # is kept for its source; one with neither says nothing at all.
    claims = list(dict.fromkeys(c for c in claims if not c.is_empty or c.sources))
    merge = _Merge(claims, platform, platform_id, conflicts)
    dates = {name: merge.date(name) for name in _DATES}
    state = merge.state(dated=any(v is not None for v in dates.values()))
    going = dates["shutdown_on"] is not None or dates["deprecated_on"] is not None
    replacements = merge.replacements(dated=going)
    return Lifecycle.from_claims(
        claims,
        merge.origins,
        state=state,
        announced_on=dates["announced_on"],
        deprecated_on=dates["deprecated_on"],
        shutdown_on=dates["shutdown_on"],
        replacements=replacements,
    )
