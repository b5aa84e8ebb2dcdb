"""``recast plan``: the migration plan of each watched model that is going away.

For every offering of the watch set that is deprecated, retiring within a horizon, or
retired: where it is used (scan findings by file), what traffic and spend it carries (the
store), the deadline on every platform with its source and precision, the live
replacement (and the chain when the named one is dead), the evidence (the latest audition
of that baseline, or the command that would make one), the request changes the switch
needs, and a checklist (the ``--fix`` diff, a gateway snippet, the rollback).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from recast.catalog import Advice, Catalog, Offering, advise, platform_rank
from recast.watch import (
    DatedFact,
    WatchConfig,
    WatchEntry,
    WatchSet,
    audition_command,
    build_watch_set,
    dated_fact,
    refresh_catalog,
)

PLAN_SCHEMA_VERSION = 1
#: Captured requests read per model to see which request parameters it is called with.
PARAMETER_SAMPLE = 500
#: OpenAI reasoning models reject these sampling parameters.
REASONING_REJECTS = (
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
)


@dataclass(frozen=True)
class Deadline:
    """The model's shutdown on one platform (``used``: the team calls it there)."""

    platform: str
    platform_id: str
    state: str
    shutdown: DatedFact | None
    days_left: int | None
    used: bool

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        return {
            "platform": self.platform,
            "platform_id": self.platform_id,
            "state": self.state,
            "shutdown": self.shutdown.to_dict() if self.shutdown else None,
            "days_left": self.days_left,
            "used": self.used,
        }


@dataclass(frozen=True)
class Change:
    """One change the switch needs in requests or budgets: ``kind`` and what to do."""

    kind: str  # parameter | capability | context | price
    text: str
    severity: str = "warning"  # must | warning | info

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        return {"kind": self.kind, "severity": self.severity, "text": self.text}


@dataclass(frozen=True)
class Evidence:
    """The latest audition of this baseline, reduced to what a plan needs, or the command.

    ``candidate`` is the report's entry for the live replacement (else its leader);
    ``metrics`` hold ``mean``/``ci_low``/``ci_high`` per metric, ``baseline`` the baseline's.
    """

    command: str | None
    audited_at: str | None = None
    report_id: str | None = None
    n_cases: int | None = None
    candidate: str | None = None
    candidate_model: str | None = None
    is_replacement: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    latency_p50_s: float | None = None
    baseline_latency_p50_s: float | None = None
    monthly_cost_usd: float | None = None
    baseline_monthly_cost_usd: float | None = None
    regressions: tuple[str, ...] = ()

    @property
    def auditioned(self) -> bool:
        """Whether an audition of this baseline is in the store."""
        return self.audited_at is not None

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        return {
            "auditioned": self.auditioned,
            "command": self.command,
            "audited_at": self.audited_at,
            "report_id": self.report_id,
            "n_cases": self.n_cases,
            "candidate": self.candidate,
            "candidate_model": self.candidate_model,
            "is_replacement": self.is_replacement,
            "metrics": self.metrics,
            "baseline": self.baseline,
            "latency_p50_s": self.latency_p50_s,
            "baseline_latency_p50_s": self.baseline_latency_p50_s,
            "monthly_cost_usd": self.monthly_cost_usd,
            "baseline_monthly_cost_usd": self.baseline_monthly_cost_usd,
            "regressions": list(self.regressions),
        }


@dataclass(frozen=True)
class PlanItem:
    """The migration plan of one watched offering."""

    entry: WatchEntry
    state: str
    reason: str
    days_left: int | None
    shutdown: DatedFact | None
    deadlines: tuple[Deadline, ...]
    advice: Advice
    evidence: Evidence
    changes: tuple[Change, ...]
    fix_diff: str
    gateway_snippet: str | None
    checklist: tuple[str, ...]
    past_horizon: bool

    @property
    def offering(self) -> Offering:
        """The watched offering."""
        return self.entry.offering

    def to_dict(self) -> dict[str, Any]:
        """Render as JSON."""
        final = self.advice.final
        return {
            **self.entry.to_dict(),
            "state": self.state,
            "reason": self.reason,
            "days_left": self.days_left,
            "past_horizon": self.past_horizon,
            "shutdown": self.shutdown.to_dict() if self.shutdown else None,
            "deadlines": [d.to_dict() for d in self.deadlines],
            "replacement": self.advice.to_dict(),
            "replacement_platform_id": final.platform_id if final else None,
            "evidence": self.evidence.to_dict(),
            "changes": [c.to_dict() for c in self.changes],
            "fix_diff": self.fix_diff or None,
            "gateway_snippet": self.gateway_snippet,
            "checklist": list(self.checklist),
        }


@dataclass
class Plan:
    """Every plan item, most urgent first; :attr:`exit_code` is 1 past a horizon."""

    as_of: date
    items: list[PlanItem]
    watched: int
    horizons: tuple[int, ...]
    catalog_note: str | None = None
    catalog_built_at: str = ""
    unresolved: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when any item is retired or within a horizon (for CI), else 0."""
        return 1 if any(item.past_horizon for item in self.items) else 0

    def to_dict(self) -> dict[str, Any]:
        """The ``recast plan --format json`` document (``schema_version`` 1)."""
        return {
            "schema_version": PLAN_SCHEMA_VERSION,
            "as_of": self.as_of.isoformat(),
            "horizons": list(self.horizons),
            "catalog": {"built_at": self.catalog_built_at, "note": self.catalog_note},
            "watched": self.watched,
            "unresolved": list(self.unresolved),
            "items": [item.to_dict() for item in self.items],
            "exit_code": self.exit_code,
        }


# --------------------------------------------------------------------------- the pieces


def _reason(state: str, days_left: int | None, horizons: Sequence[int]) -> tuple[str, bool] | None:
    """Why an offering is in the plan (and whether it is past a horizon), or ``None``."""
    if state == "retired":
        return "retired: calls fail now", True
    if days_left is not None and days_left >= 0 and days_left <= max(horizons):
        tightest = min(h for h in horizons if days_left <= h)
        return f"shuts down within {tightest} days ({days_left} left)", True
    if state == "deprecated":
        return "deprecated", False
    return None


def deadlines(
    entry: WatchEntry, used: set[tuple[str, str]], as_of: date, catalog: Catalog
) -> tuple[Deadline, ...]:
    """The model's shutdown on every platform the catalog has it on, used ones first."""
    rows = []
    for offering in catalog.offerings_of(entry.offering.model):
        if offering.alias_of:
            continue
        lifecycle = offering.lifecycle
        rows.append(
            Deadline(
                platform=offering.platform,
                platform_id=offering.platform_id,
                state=lifecycle.state_on(as_of),
                shutdown=dated_fact(offering),
                days_left=lifecycle.days_left(as_of),
                used=(offering.platform, offering.platform_id) in used,
            )
        )
    rows.sort(key=lambda d: (not d.used, platform_rank(d.platform), d.platform_id))
    return tuple(rows)


def _estimate(metrics: Any, name: str) -> dict[str, Any] | None:
    value = metrics.get(name) if isinstance(metrics, dict) else None
    return value if isinstance(value, dict) else None


def evidence(entry: WatchEntry, advice: Advice, store: Any, store_hint: str | None) -> Evidence:
    """The latest audition whose baseline is this model (by any id it is known as)."""
    command = audition_command(entry, advice, store_hint)
    if store is None:
        return Evidence(command)
    names = [entry.offering.model, entry.offering.platform_id]
    if entry.traffic is not None:
        names += list(entry.traffic.requested_as)
    record = None
    for name in dict.fromkeys(names):
        record = store.latest_audition_report(name)
        if record is not None:
            break
    if record is None or not isinstance(record.report, dict):
        return Evidence(command)
    report: dict[str, Any] = record.report
    final = advice.final
    wanted = {final.model, final.platform_id} if final else set()
    candidates = [c for c in report.get("candidates", []) if isinstance(c, dict)]
    chosen = next(
        (c for c in candidates if c.get("model") in wanted or c.get("name") in wanted), None
    )
    is_replacement = chosen is not None
    if chosen is None and candidates:
        chosen = min(candidates, key=lambda c: c.get("rank") or 99)
    base = report.get("baseline", {}) if isinstance(report.get("baseline"), dict) else {}
    if chosen is None:
        return Evidence(command, audited_at=record.created_at.isoformat(), report_id=record.id)
    metrics = chosen.get("metrics", {})
    return Evidence(
        command=command,
        audited_at=record.created_at.isoformat(),
        report_id=record.id,
        n_cases=(report.get("dataset") or {}).get("n_cases"),
        candidate=chosen.get("name"),
        candidate_model=chosen.get("model"),
        is_replacement=is_replacement,
        metrics={
            name: est
            for name in (
                "fidelity",
                "content",
                "style",
                "structure",
                "refusal",
                "quality",
                "cost_usd",
            )
            if (est := _estimate(metrics, name)) is not None
        },
        baseline={
            name: est
            for name in ("quality", "cost_usd")
            if (est := _estimate(base, name)) is not None
        },
        latency_p50_s=chosen.get("latency_p50_s"),
        baseline_latency_p50_s=base.get("latency_p50_s"),
        monthly_cost_usd=chosen.get("monthly_cost_usd"),
        baseline_monthly_cost_usd=base.get("monthly_cost_usd"),
        regressions=tuple(str(r) for r in chosen.get("regressions", ())),
    )


def _parameters(
    store: Any, names: Iterable[str], days: int, as_of: date
) -> tuple[set[str], bool, bool]:
    """(request fields used, images sent, tools sent) in a sample of captured requests."""
    from datetime import datetime, time, timedelta, timezone

    until = datetime.combine(as_of + timedelta(days=1), time(), tzinfo=timezone.utc)
    fields: set[str] = set()
    images = tools = False
    for name in names:
        for exchange in store.iter_exchanges(
            model=name, since=until - timedelta(days=days), until=until, limit=PARAMETER_SAMPLE
        ):
            request = exchange.request
            if not isinstance(request, dict):
                continue
            fields.update(k for k, v in request.items() if v is not None)
            tools = tools or bool(request.get("tools") or request.get("functions"))
            for message in request.get("messages") or ():
                content = message.get("content") if isinstance(message, dict) else None
                if isinstance(content, list) and any(
                    isinstance(p, dict) and p.get("type") in ("image_url", "image", "input_image")
                    for p in content
                ):
                    images = True
    return fields, images, tools


def request_changes(
    entry: WatchEntry,
    advice: Advice,
    catalog: Catalog,
    store: Any,
    days: int,
    as_of: date,
) -> tuple[Change, ...]:
    """What the switch changes in requests: parameters, capabilities, context, price."""
    from recast.providers import is_reasoning_model

    final = advice.final
    if final is None or final.offering is None:
        return ()
    old_model = catalog.model(entry.offering.model)
    new_model = catalog.model(final.offering.model)
    out: list[Change] = []
    fields: set[str] = set()
    images = tools = False
    if store is not None and entry.traffic is not None:
        fields, images, tools = _parameters(store, entry.traffic.requested_as, days, as_of)
    new_reasoning = is_reasoning_model(final.model) or bool(
        new_model and new_model.capabilities.reasoning
    )
    old_reasoning = is_reasoning_model(entry.offering.model)
    if new_reasoning and not old_reasoning and final.platform in ("openai", "azure-openai"):
        rejected = sorted(f for f in fields if f in REASONING_REJECTS)
        if rejected:
            out.append(
                Change(
                    "parameter",
                    f"remove {', '.join(rejected)}: {final.model} (a reasoning model) rejects them",
                    "must",
                )
            )
        elif not fields:
            out.append(
                Change(
                    "parameter",
                    f"{final.model} is a reasoning model: it rejects temperature, top_p and the "
                    "penalties (no traffic shows whether you send them)",
                )
            )
        if "max_tokens" in fields or not fields:
            out.append(
                Change(
                    "parameter",
                    "rename max_tokens to max_completion_tokens (reasoning tokens count toward it)",
                    "must" if "max_tokens" in fields else "warning",
                )
            )
    caps = new_model.capabilities if new_model else None
    if tools and caps is not None and caps.tools is False:
        out.append(
            Change(
                "capability",
                f"your requests send tools; {final.model} does not support tool calls",
                "must",
            )
        )
    if images and caps is not None and caps.vision is False:
        out.append(
            Change(
                "capability",
                f"your requests send images; {final.model} does not accept them",
                "must",
            )
        )
    out += _context_changes(entry, old_model, new_model, final.model)
    out += _price_changes(entry, catalog, final.offering)
    return tuple(out)


def _context_changes(entry: WatchEntry, old: Any, new: Any, name: str) -> list[Change]:
    out: list[Change] = []
    if new is None or new.context_window is None:
        out.append(
            Change("context", f"context window of {name}: unknown (no source gives it)", "info")
        )
        return out
    observed = entry.traffic.max_input_tokens if entry.traffic else None
    if observed is not None and observed > new.context_window:
        out.append(
            Change(
                "context",
                f"your largest prompt ({observed:,} tokens) exceeds {name}'s context window "
                f"({new.context_window:,})",
                "must",
            )
        )
    elif old is not None and old.context_window and new.context_window < old.context_window:
        out.append(
            Change(
                "context",
                f"context window shrinks from {old.context_window:,} "
                f"to {new.context_window:,} tokens",
            )
        )
    elif old is not None and old.context_window:
        out.append(
            Change(
                "context",
                f"context window {old.context_window:,} -> {new.context_window:,} tokens",
                "info",
            )
        )
    return out


def _price_changes(entry: WatchEntry, catalog: Catalog, new: Offering) -> list[Change]:
    old_prices = catalog.prices_for(entry.offering)
    new_prices = catalog.prices_for(new)
    if (
        old_prices is None
        or new_prices is None
        or None in (old_prices.input, new_prices.input, old_prices.output, new_prices.output)
    ):
        return [Change("price", "price change: unknown (a catalog price is missing)", "info")]
    traffic = entry.traffic
    per_m = (
        f"${old_prices.input:g}/${old_prices.output:g} -> "
        f"${new_prices.input:g}/${new_prices.output:g} per 1M input/output tokens"
    )
    if traffic is None or traffic.input_tokens is None or traffic.output_tokens is None:
        return [Change("price", f"{per_m} (no captured traffic to project a month)", "info")]
    tokens_in = traffic.monthly(traffic.input_tokens) or 0.0
    tokens_out = traffic.monthly(traffic.output_tokens) or 0.0
    old_cost = old_prices.cost(int(tokens_in), int(tokens_out)) or 0.0
    new_cost = new_prices.cost(int(tokens_in), int(tokens_out)) or 0.0
    delta = new_cost - old_cost
    sign = "+" if delta >= 0 else "-"
    return [
        Change(
            "price",
            f"{per_m}: ${old_cost:,.2f} -> ${new_cost:,.2f} a month at the observed volume "
            f"({sign}${abs(delta):,.2f})",
            "info",
        )
    ]


def gateway_snippet(entry: WatchEntry, advice: Advice, shutdown: DatedFact | None) -> str | None:
    """A ``recast serve`` routes snippet: a 10 % canary now, the redirect from the shutdown."""
    final = advice.final
    if final is None or final.platform_id is None:
        return None
    requested = (
        entry.traffic.requested_as[0]
        if entry.traffic and entry.traffic.requested_as
        else entry.offering.platform_id
    )
    lines = ["routes:", f"  {requested}:"]
    lines.append(
        f"    canary: {{model: {final.platform_id}, percent: 10}}"
        "   # step 1: 10 % of traffic, sticky per user"
    )
    lines.append("    policy: redirect                 # step 2: everything, from the date below")
    lines.append(f"    replacement: {final.platform_id}")
    if shutdown is not None and shutdown.precision == "exact":
        lines.append(f"    redirect_on: {shutdown.on.isoformat()}")
    return "\n".join(lines) + "\n"


def checklist(
    item_entry: WatchEntry, advice: Advice, ev: Evidence, diff: str, shutdown: DatedFact | None
) -> tuple[str, ...]:
    """The steps, in order."""
    final = advice.final
    steps = []
    if ev.auditioned:
        steps.append(
            f"Review the {len(ev.regressions)} regressions of the audition "
            f"({ev.audited_at[:10] if ev.audited_at else ''})"
        )
    elif ev.command:
        steps.append(f"Audition the replacement: `{ev.command}`")
    else:
        steps.append("Choose a replacement: no live one is named (see above)")
    if diff:
        steps.append("Apply the code change: `recast scan --fix` (diff below), review, commit")
    elif item_entry.locations:
        steps.append(
            "Change the references listed above by hand (`recast scan --fix` has no safe rewrite)"
        )
    if final is not None:
        steps.append(
            "Add the gateway canary (snippet below), watch errors and fidelity, then redirect"
        )
    when = (
        f" until {shutdown.on.isoformat()}"
        if shutdown is not None and shutdown.precision == "exact"
        else ""
    )
    steps.append(
        f"Rollback: revert the commit or remove the route; "
        f"{item_entry.offering.platform_id} answers{when}"
        if final
        else "Rollback: none needed until a replacement is chosen"
    )
    return tuple(steps)


def _fix_diff(scans: Sequence[Any], entry: WatchEntry, catalog: Catalog) -> str:
    """The ``recast scan --fix`` diff (dry run) of this offering's references."""
    if not scans:
        return ""
    from recast.scan import ScanResult, fix

    diffs = []
    for result in scans:
        mine = [
            f
            for f in result.findings
            if f.model == entry.offering.model and f.platform == entry.offering.platform
        ]
        if not mine:
            continue
        subset = ScanResult(root=result.root, as_of=result.as_of, findings=mine)
        diffs.append(fix(subset, catalog=catalog).diff)
    return "".join(diffs)


def plan_item(
    entry: WatchEntry,
    *,
    as_of: date,
    catalog: Catalog,
    store: Any,
    config: WatchConfig,
    scans: Sequence[Any],
    used: set[tuple[str, str]],
) -> PlanItem | None:
    """The plan of one watched offering, or ``None`` when it needs none yet."""
    lifecycle = entry.offering.lifecycle
    state = lifecycle.state_on(as_of)
    days_left = lifecycle.days_left(as_of)
    why = _reason(state, days_left, config.horizons)
    if why is None:
        return None
    reason, past = why
    advice = advise(entry.offering, as_of, catalog=catalog)
    shutdown = dated_fact(entry.offering)
    ev = evidence(entry, advice, store, config.store)
    diff = _fix_diff(scans, entry, catalog)
    return PlanItem(
        entry=entry,
        state=state,
        reason=reason,
        days_left=days_left,
        shutdown=shutdown,
        deadlines=deadlines(entry, used, as_of, catalog),
        advice=advice,
        evidence=ev,
        changes=request_changes(entry, advice, catalog, store, config.traffic_days or 30, as_of),
        fix_diff=diff,
        gateway_snippet=gateway_snippet(entry, advice, shutdown),
        checklist=checklist(entry, advice, ev, diff, shutdown),
        past_horizon=past,
    )


def build_plan(
    config: WatchConfig,
    *,
    store: Any,
    as_of: date | None = None,
    catalog: Catalog | None = None,
    sync: bool = False,
    progress: Any = None,
) -> Plan:
    """The plan for the watch set of ``config`` on ``as_of`` (default today).

    ``store`` (an open :class:`recast.store.Store`, or ``None``) gives traffic and
    audition evidence. Items are sorted retired first, then by days left, then by model.
    """
    day = as_of or date.today()
    note = None
    if catalog is None:
        catalog, note = refresh_catalog(sync, progress)
    scans: list[Any] = []
    watch_set: WatchSet = build_watch_set(
        config, as_of=day, catalog=catalog, store=store, progress=progress, scans=scans
    )
    entries = watch_set.sorted()
    used = {(e.offering.platform, e.offering.platform_id) for e in entries}
    items = [
        item
        for entry in entries
        if (
            item := plan_item(
                entry,
                as_of=day,
                catalog=catalog,
                store=store,
                config=config,
                scans=scans,
                used=used,
            )
        )
        is not None
    ]
    items.sort(
        key=lambda i: (
            i.state != "retired",
            i.days_left if i.days_left is not None else 10**6,
            i.offering.model,
            i.offering.platform,
        )
    )
    return Plan(
        as_of=day,
        items=items,
        watched=len(entries),
        horizons=tuple(config.horizons),
        catalog_note=note,
        catalog_built_at=catalog.built_at,
        unresolved=list(watch_set.unresolved),
    )
