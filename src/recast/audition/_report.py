"""Render an :class:`AuditionReport`: JSON (stable schema), Markdown and a Rich leaderboard.

The JSON schema is documented in ``docs/audition.md``; its version is
:data:`SCHEMA_VERSION`. Candidates are listed in rank order (composite
fidelity, highest first); metrics keep the stable names of
:data:`METRIC_NAMES`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from recast.audition._audition import AuditionReport, CandidateResult
from recast.audition._stats import Estimate

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA_VERSION = 1
METRIC_NAMES = (
    "fidelity",
    "content",
    "style",
    "structure",
    "refusal",
    "quality",
    "rouge_l",
    "latency_s",
    "output_tokens",
    "cost_usd",
)


def _clean(value: float | None, digits: int = 4) -> float | None:
    if value is None or math.isnan(value):
        return None
    return round(value, digits)


def _candidate_json(result: CandidateResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "spec": result.candidate.spec,
        "model": result.candidate.model,
        "kind": result.candidate.kind,
        "rank": result.rank,
        "tied_with_leader": result.tied_with_leader,
        "ranking_fidelity": result.ranking.to_dict() if result.ranking else None,
        "metrics": {name: est.to_dict() for name, est in result.estimates.items()},
        "delta_vs_leader": {name: est.to_dict() for name, est in result.delta_vs_leader.items()},
        "latency_p50_s": _clean(result.latency_p50),
        "latency_p95_s": _clean(result.latency_p95),
        "monthly_cost_usd": _clean(result.monthly_cost_usd, 2),
        "spent_usd": round(result.spent_usd, 6),
        "failures": result.failures,
        "regressions": list(result.regressions),
        "improvements": list(result.improvements),
        "style_shift": [
            {
                "feature": s.feature,
                "baseline_mean": _clean(s.baseline_mean),
                "candidate_mean": _clean(s.candidate_mean),
            }
            for s in result.style_shift
        ],
    }


def to_json(report: AuditionReport, *, per_case: bool = False) -> dict[str, Any]:
    """Return the report as a JSON-ready dict (``schema_version`` 1; see docs/audition.md)."""
    baseline = report.baseline
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "created_at": report.created_at.isoformat(),
        "run_id": report.run_id,
        "dataset": {
            "n_cases": len(report.cases),
            "skipped_rows": len(report.skipped),
            "duplicates": report.duplicates,
            "sources": list(report.sources),
        },
        "baseline": {
            "model": baseline.model,
            "quality": baseline.quality.to_dict(),
            "latency_p50_s": _clean(baseline.latency_p50),
            "latency_p95_s": _clean(baseline.latency_p95),
            "output_tokens": baseline.output_tokens.to_dict(),
            "cost_usd": baseline.cost_usd.to_dict(digits=6),
            "monthly_cost_usd": _clean(baseline.monthly_cost_usd, 2),
        },
        "content_method": report.content_method,
        "weights": dict(report.weights),
        "bootstrap": {"resamples": report.resamples, "seed": report.seed, "level": 0.95},
        "monthly_requests": _clean(report.monthly_requests, 1),
        "metrics": [
            {
                "name": m.name,
                "label": m.label,
                "kind": m.kind,
                "unit": m.unit,
                "higher_is_better": m.higher_is_better,
                "description": m.description,
            }
            for m in report.metrics
        ],
        "candidates": [_candidate_json(c) for c in report.candidates],
    }
    if per_case:
        rows = []
        for index, case in enumerate(report.cases):
            rows.append(
                {
                    "id": case.id,
                    "tags": list(case.tags),
                    "values": {
                        c.name: {
                            name: _clean(float(values[index])) for name, values in c.values.items()
                        }
                        for c in report.candidates
                    },
                }
            )
        document["cases"] = rows
    return document


# --------------------------------------------------------------------------- text helpers


def format_estimate(estimate: Estimate | None, unit: str = "") -> str:
    """``0.812 [0.80, 0.83]`` style text (``—`` when missing)."""
    if estimate is None or estimate.n == 0 or math.isnan(estimate.mean):
        return "—"
    if unit == "USD":
        return f"${estimate.mean:.5f}"
    if unit == "tokens":
        return f"{estimate.mean:.0f}"
    if unit == "s":
        return f"{estimate.mean:.2f}s"
    return f"{estimate.mean:.3f} [{estimate.ci_low:.3f}, {estimate.ci_high:.3f}]"


def _compact(estimate: Estimate | None) -> str:
    """``0.693±0.008`` (half-width of the 95% interval) for narrow terminals."""
    if estimate is None or estimate.n == 0 or math.isnan(estimate.mean):
        return "—"
    half = max(estimate.mean - estimate.ci_low, estimate.ci_high - estimate.mean)
    return f"{estimate.mean:.3f}±{half:.3f}"


def _delta_compact(result: CandidateResult) -> str:
    delta = result.delta_vs_leader.get("fidelity")
    if result.rank == 1 or delta is None or delta.n == 0:
        return "—"
    half = max(delta.mean - delta.ci_low, delta.ci_high - delta.mean)
    return f"{delta.mean:+.3f}±{half:.3f}"


def _regressions(result: CandidateResult) -> str:
    """Regression count (with improvements), or ``—`` when no case has a reference."""
    quality = result.estimates.get("quality")
    if quality is None or quality.n == 0:
        return "—"
    text = str(len(result.regressions))
    return text + (f" (+{len(result.improvements)})" if result.improvements else "")


def _delta(result: CandidateResult) -> str:
    """Paired difference of fidelity against the leader, ``—`` for the leader itself."""
    delta = result.delta_vs_leader.get("fidelity")
    if result.rank == 1 or delta is None or delta.n == 0:
        return "—"
    return f"{delta.mean:+.3f} [{delta.ci_low:+.3f}, {delta.ci_high:+.3f}]"


def _money(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    if value >= 100:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def _seconds(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.1f}s"


_LEADERBOARD_METRICS = ("fidelity", "content", "style", "structure", "refusal", "quality")


def _shift_summary(result: CandidateResult, limit: int = 3) -> str:
    """The largest set-level style changes, e.g. ``length -21%, headings +40%``."""
    changes: list[tuple[float, str]] = []
    labels = {
        "chars": "length",
        "paragraphs": "paragraphs",
        "bullets": "bullets",
        "numbered": "numbered items",
        "headings": "headings",
        "code_blocks": "code blocks",
        "bold": "bold",
        "emoji": "emoji",
        "sentence_words": "sentence length",
        "hedges": "hedges",
        "first_person": "first person",
    }
    for shift in result.style_shift:
        if shift.feature not in labels or shift.baseline_mean < 0.05:
            continue
        ratio = shift.ratio
        if ratio is None:
            continue
        change = ratio - 1
        if abs(change) < 0.1:
            continue
        label = labels[shift.feature]
        if shift.feature == "chars":
            text = f"{label} {change:+.0%}"
        else:
            text = f"{label} {shift.baseline_mean:.1f}→{shift.candidate_mean:.1f}"
        changes.append((abs(change), text))
    changes.sort(reverse=True)
    return ", ".join(text for _, text in changes[:limit])


def to_markdown(report: AuditionReport) -> str:
    """Return a Markdown leaderboard (for a pull request or an issue)."""
    names = [
        m
        for m in _LEADERBOARD_METRICS
        if any(r.estimates.get(m) is not None and r.estimates[m].n for r in report.candidates)
    ]
    lines = [
        f"### recast audition: {len(report.cases)} cases, "
        f"baseline `{report.baseline.model or 'baseline'}`",
        "",
        "| # | candidate | "
        + " | ".join(report.metric(m).label for m in names)  # type: ignore[union-attr]
        + " | regressions | Δ fidelity vs leader | p50 latency | cost / case |",
        "|---|---|" + "---|" * len(names) + "---|---|---|---|",
    ]
    for result in report.candidates:
        tie = " ≈" if result.tied_with_leader and result.rank > 1 else ""
        cells = [format_estimate(result.estimates.get(m)) for m in names]
        cost = result.estimates.get("cost_usd")
        lines.append(
            f"| {result.rank}{tie} | `{result.name}` | "
            + " | ".join(cells)
            + f" | {_regressions(result)} | {_delta(result)} | {_seconds(result.latency_p50)} | "
            + f"{format_estimate(cost, 'USD')} |"
        )
    lines += [
        "",
        "Mean [95% bootstrap CI]. Fidelity = "
        + " + ".join(f"{w:g}×{m}" for m, w in report.weights.items() if w > 0)
        + f" (content: {report.content_method or 'n/a'}). ≈: interval overlaps the leader's.",
    ]
    for result in report.candidates:
        shift = _shift_summary(result)
        if shift:
            lines.append(f"- `{result.name}` style vs baseline: {shift}")
        if result.regressions:
            shown = ", ".join(f"`{r}`" for r in result.regressions[:10])
            more = (
                f" and {len(result.regressions) - 10} more" if len(result.regressions) > 10 else ""
            )
            lines.append(f"- `{result.name}` regressions: {shown}{more}")
    return "\n".join(lines) + "\n"


def render_terminal(report: AuditionReport, console: Console) -> None:
    """Print the Rich leaderboard to ``console``."""
    from rich import box
    from rich.table import Table

    names = [
        m
        for m in _LEADERBOARD_METRICS
        if any(r.estimates.get(m) is not None and r.estimates[m].n for r in report.candidates)
    ]
    baseline = report.baseline
    title = f"Audition: {len(report.cases)} cases, baseline {baseline.model or 'baseline'}" + (
        f" (quality {baseline.quality.mean:.3f})" if baseline.quality.n else ""
    )
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("candidate", style="bold", no_wrap=True)
    for m in names:
        info = report.metric(m)
        table.add_column(info.label if info else m, justify="right")
    table.add_column("cases", justify="right")
    table.add_column("Δ fid.", justify="right")
    table.add_column("regr.", justify="right")
    table.add_column("p50", justify="right")
    table.add_column("cost/case", justify="right")
    monthly = any(r.monthly_cost_usd is not None for r in report.candidates)
    if monthly:
        table.add_column("per month", justify="right")
    for result in report.candidates:
        marker = "" if result.rank == 1 else ("≈" if result.tied_with_leader else "")
        cells = []
        for m in names:
            est = result.estimates.get(m)
            text = _compact(est)
            if m == "fidelity" and result.rank == 1:
                text = f"[bold green]{text}[/]"
            cells.append(text)
        table.add_row(
            f"{result.rank}{marker}",
            result.name,
            *cells,
            str(result.estimates["fidelity"].n) if "fidelity" in result.estimates else "—",
            _delta_compact(result),
            _regressions(result),
            _seconds(result.latency_p50),
            format_estimate(result.estimates.get("cost_usd"), "USD"),
            *([_money(result.monthly_cost_usd)] if monthly else []),
        )
    console.print(table)
    weights = " + ".join(f"{w:g}×{m}" for m, w in report.weights.items() if w > 0)
    console.print(
        f"mean [95% CI over cases, {report.resamples} bootstrap resamples]; "
        f"fidelity = {weights}; content: {report.content_method or 'n/a'}; "
        "≈ = indistinguishable from the leader; cases = cases scored (fidelity); "
        "Δ fid. = paired difference from the leader on shared cases",
        style="dim",
    )
    for result in report.candidates:
        notes = []
        shift = _shift_summary(result)
        if shift:
            notes.append(f"style: {shift}")
        if result.failures:
            notes.append(f"{result.failures} failed")
        if result.improvements:
            notes.append(f"{len(result.improvements)} improvements")
        if notes:
            console.print(f"  {result.name}: " + "; ".join(notes), style="dim")
