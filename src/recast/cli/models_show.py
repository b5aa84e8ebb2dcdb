"""The text of ``recast models show``: each offering with every fact's source.

Plain styled lines, no Rich: ``show`` is the cold-start benchmark (bench/cold_start.py).
Each offering prints its state on the day, its dates, the live replacement with the chain
that led there, then one line per lifecycle fact naming the source it came from (importer,
URL, the day that page was read) and, below it, what other sources said and any conflict.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from recast.catalog import Advice, Catalog, Claim, Fact, LifecycleDate, Model, OfferingStatus
    from recast.catalog import Source as SourceT

STATE_STYLE = {
    "active": "green",
    "legacy": "cyan",
    "deprecated": "yellow",
    "retired": "red",
    "unknown": "magenta",
}

_FACT_LABELS = (
    ("state", "recorded"),
    ("announced_on", "announced"),
    ("deprecated_on", "deprecated"),
    ("shutdown_on", "shutdown"),
    ("replacements", "replacement"),
)


def bold(text: str) -> str:
    """``text`` in bold (no colour codes when the output is not a terminal)."""
    return typer.style(text, bold=True)


def _dim(text: str) -> str:
    return typer.style(text, dim=True)


def _state(state: str) -> str:
    return typer.style(state, fg=STATE_STYLE.get(state, "white"))


def _dated(label: str, value: LifecycleDate | None, always: bool = False) -> str | None:
    if value is None:
        return None
    shown = always or value.precision != "exact"
    precision = f" ({value.precision.replace('_', ' ')})" if shown else ""
    return f"{label} {value.on.isoformat() if value.precision != 'month' else value}{precision}"


def _value(name: str, value: object) -> str:
    if value is None or value == ():
        return "none"
    if name == "replacements":
        models = [getattr(r, "model", str(r)) for r in value]  # type: ignore[attr-defined]
        return ", ".join(models)
    return str(value)


def _where(source: SourceT | None) -> str:
    if source is None:
        return "no source URL"
    read = f", read {source.accessed_on.isoformat()}" if source.accessed_on else ""
    return f"{source.url}{read}"


def _claim_value(fact: Fact, claim: Claim) -> str:
    return _value(fact.name, claim.value(fact.name))


def _fact_lines(fact: Fact, label: str, conflict_reason: str | None) -> list[str]:
    value = _value(fact.name, fact.value)
    if fact.name == "state" and fact.value == "unknown":
        lines = [f"      {label:<12} unknown      no lifecycle source"]
    elif not fact.known:
        if not fact.alternatives:
            return []
        lines = [f"      {label:<12} none kept"]
    elif fact.importer == "derived":
        lines = [f"      {label:<12} {value:<12} derived from the dates below"]
    else:
        lines = [f"      {label:<12} {value:<12} {fact.importer}: {_where(fact.source)}"]
    agree: list[str] = []
    for claim in fact.alternatives:
        other = _claim_value(fact, claim)
        via = f" (as {claim.via})" if claim.via else ""
        if other == value:
            agree.append(f"{claim.importer}{via}")
        else:
            lines.append(
                _dim(f"{'':<19}{claim.importer}{via} says {other}: {_where(claim.source)}")
            )
    if agree:
        lines.insert(1, _dim(f"{'':<19}agree: {', '.join(dict.fromkeys(agree))}"))
    if conflict_reason:
        lines.append(typer.style(f"{'':<19}conflict: {conflict_reason}", fg="yellow"))
    return lines


def _advice_lines(advice: Advice | None, platform: str) -> list[str]:
    """The replacement to move to, with the chain behind it and why it stopped."""
    if advice is None or (not advice.chain and not advice.options):
        return []
    if advice.ambiguous:
        lines = [f"    replacement: {advice.reason}; none is chosen for you:"]
        for option in advice.options:
            final = option.final
            end = f" -> move to {bold(final.model)}" if final and option.followed else ""
            lines.append(f"      {option.text()}{end}")
        return lines
    final = advice.final
    if final is None:
        return [
            typer.style(f"    replacement: nothing alive on {platform}", fg="red"),
            f"      {advice.text()}: {advice.reason}",
        ]
    on = f" on {final.platform}" if final.platform != platform else ""
    pid = (
        f" ({final.platform_id})" if final.platform_id and final.platform_id != final.model else ""
    )
    status = {"unknown": " (no lifecycle source: unverified)", "deprecated": " (deprecated)"}
    lines = [
        f"    recommended replacement: {bold(final.model)}{on}{pid}{status.get(final.state, '')}"
    ]
    if advice.followed or final.state != "active":
        lines.append(f"      chain: {advice.text()}")
        for step in advice.chain[1:]:
            naming = step.named_by
            who = naming.importer or "a source"
            url = naming.source_url or "no URL"
            lines.append(_dim(f"        {step.model} named by {who}: {url}"))
    if advice.reason:
        lines.append(f"      the chain stops there: {advice.reason}")
    named = advice.chain[0].named_by
    if named.note:
        by = named.note_by or named.importer
        read = (
            f", read {named.accessed_on.isoformat()}"
            if named.accessed_on and not named.note_by
            else ""
        )
        who = f"{by}'s note" if by else "note"
        lines.append(_dim(f"      {who} on {named.model}{read}: {named.note}"))
    return lines


def offering_lines(row: OfferingStatus, day: date) -> list[str]:
    """One offering: state on ``day``, dates, replacement advice, per-fact sources."""
    offering = row.offering
    lifecycle = offering.lifecycle
    region = f" (region {offering.region})" if offering.region else ""
    lines = [
        "",
        f"  {bold(offering.platform)}  {offering.platform_id}{region}  "
        f"{_state(row.state)} on {day.isoformat()}",
    ]
    dates = [
        _dated("announced", lifecycle.announced_on),
        _dated("deprecated", lifecycle.deprecated_on),
        _dated("shutdown", lifecycle.shutdown_on, always=True),
    ]
    if row.days_left is not None:
        floor = (
            lifecycle.shutdown_on is not None and lifecycle.shutdown_on.precision == "not_before"
        )
        if row.days_left >= 0:
            dates.append(f"{'at least ' if floor else ''}{row.days_left} days left")
        else:
            dates.append(
                f"floor passed {-row.days_left} days ago"
                if floor
                else f"shut down {-row.days_left} days ago"
            )
    present = [d for d in dates if d]
    if present:
        lines.append("    " + ", ".join(present))
    lines.extend(f"    {note}" for note in row.notes())
    lines.extend(_advice_lines(row.advice, offering.platform))
    facts = []
    for name, label in _FACT_LABELS:
        fact = lifecycle.fact(name)
        field = "replacement" if name == "replacements" else name
        conflict = row.conflicts.get(field)
        facts.extend(_fact_lines(fact, label, conflict.reason if conflict else None))
    if facts:
        lines.append("    facts (value, source):")
        lines.extend(facts)
    if offering.prices is not None:
        prices = offering.prices
        lines.append(
            f"    prices on {offering.platform} per 1M tokens: "
            f"input {prices.input}, output {prices.output}"
        )
    return lines


def model_lines(model: Model) -> list[str]:
    """The model's facts: provider, release, limits, prices, capabilities (plain text)."""
    lines = [bold(model.id) + (f"  {model.name}" if model.name else "")]
    facts = [f"provider: {model.provider}"]
    if model.family:
        facts.append(f"family: {model.family}")
    if model.released_on:
        facts.append(f"released: {model.released_on.isoformat()}")
    if model.aliases:
        facts.append("aliases: " + ", ".join(model.aliases))
    lines.append("  ".join(facts))
    limits = []
    if model.context_window:
        limits.append(f"context window: {model.context_window:,} tokens")
    if model.max_output_tokens:
        limits.append(f"max output: {model.max_output_tokens:,} tokens")
    if limits:
        lines.append("  ".join(limits))
    if model.prices is not None:
        prices = model.prices
        parts = [
            f"{label} ${value:g}"
            for label, value in (
                ("input", prices.input),
                ("output", prices.output),
                ("cached input", prices.cached_input),
            )
            if value is not None
        ]
        if parts:
            as_of = f" (as of {prices.as_of.isoformat()})" if prices.as_of else ""
            lines.append("prices per 1M tokens: " + ", ".join(parts) + as_of)
    capabilities = model.capabilities.to_dict()
    if capabilities:
        lines.append(
            "capabilities: "
            + ", ".join(
                f"{k.replace('_', ' ')} {'yes' if v else 'no'}" for k, v in capabilities.items()
            )
        )
    return lines


def render_show(
    model_ids: list[str], statuses: list[OfferingStatus], catalog: Catalog, day: date
) -> str:
    """One block per model, then one per offering."""
    lines: list[str] = []
    for index, mid in enumerate(model_ids):
        if index:
            lines.append("")
        model = catalog.model(mid)
        lines.extend(model_lines(model) if model is not None else [bold(mid)])
        for row in (s for s in statuses if s.offering.model == mid):
            lines.extend(offering_lines(row, day))
    return "\n".join(lines)
