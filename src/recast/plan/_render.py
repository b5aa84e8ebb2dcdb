"""The plan's formats: Markdown (for a PR or an issue), a single-file offline HTML page, JSON.

One emitter per format, each snapshot-tested. Every date shows its precision and source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recast.plan._plan import Evidence, Plan, PlanItem

FORMATS = ("markdown", "html", "json")
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _interval(est: dict[str, Any] | None, money: bool = False) -> str:
    """``0.812 [0.770, 0.851]``: a mean with its 95 % interval (``n/a`` when unknown)."""
    if not est or est.get("mean") is None:
        return "n/a"

    def fmt(value: float) -> str:
        return f"${value:.5f}" if money else f"{value:.3f}"

    low, high = est.get("ci_low"), est.get("ci_high")
    if low is None or high is None:
        return fmt(est["mean"])
    return f"{fmt(est['mean'])} [{fmt(low)}, {fmt(high)}]"


def evidence_rows(ev: Evidence) -> list[tuple[str, str, str]]:
    """(metric, candidate, baseline) rows of the evidence table."""
    rows = [("fidelity", _interval(ev.metrics.get("fidelity")), "1 (itself)")]
    for name in ("content", "style", "structure", "refusal"):
        if name in ev.metrics:
            rows.append((name, _interval(ev.metrics[name]), ""))
    rows.append(
        ("quality", _interval(ev.metrics.get("quality")), _interval(ev.baseline.get("quality")))
    )
    rows.append(
        (
            "cost per request",
            _interval(ev.metrics.get("cost_usd"), True),
            _interval(ev.baseline.get("cost_usd"), True),
        )
    )

    def seconds(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f} s"

    def money(v: float | None) -> str:
        return "n/a" if v is None else f"${v:,.2f}"

    rows.append(("latency p50", seconds(ev.latency_p50_s), seconds(ev.baseline_latency_p50_s)))
    rows.append(("monthly cost", money(ev.monthly_cost_usd), money(ev.baseline_monthly_cost_usd)))
    return rows


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _item_markdown(item: PlanItem) -> list[str]:
    o = item.offering
    out = [f"## `{o.platform_id}` on {o.platform}: {item.reason}", ""]
    shutdown = item.shutdown
    out.append(f"- **State**: {item.state}")
    out.append(
        f"- **Shutdown**: {shutdown.text() if shutdown else 'unknown (no source dates it)'}"
        + (f", {item.days_left} days left" if item.days_left is not None else "")
    )
    out.append(f"- **Source**: {shutdown.source_text() if shutdown else 'none'}")
    final = item.advice.final
    if final is not None:
        live = f"`{final.platform_id or final.model}`" + (
            f" on {final.platform}" if final.platform != o.platform else ""
        )
        out.append(f"- **Live replacement**: {live} ({final.state})")
        if item.advice.followed:
            out.append(f"- **Chain** (the named one is gone): {item.advice.text()}")
    else:
        out.append(
            f"- **Live replacement**: none ({item.advice.reason or 'the sources name none'})"
        )
    out += [
        "",
        "### Deadlines per platform",
        "",
        "| platform | id | state | shutdown | days left | source | used |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in item.deadlines:
        out.append(
            f"| {d.platform} | `{_md(d.platform_id)}` | {d.state} | "
            f"{_md(d.shutdown.text()) if d.shutdown else 'unknown'} | "
            f"{d.days_left if d.days_left is not None else 'unknown'} | "
            f"{_md(d.shutdown.source_text()) if d.shutdown else ''} | {'yes' if d.used else ''} |"
        )
    out += ["", "### Where it is used", ""]
    files = item.entry.files
    for path, locations in files.items():
        lines = ", ".join(str(x.line) for x in locations)
        out.append(f"- `{path}`: line{'s' if len(locations) > 1 else ''} {lines}")
    traffic = item.entry.traffic
    if traffic is not None:
        cost = (
            f", ${traffic.cost_usd:,.2f} spent"
            if traffic.cost_usd is not None
            else ", spend unknown"
        )
        out.append(
            f"- traffic: {traffic.requests:,} requests in {traffic.days} days "
            f"({traffic.share:.1%} of all{cost}; {traffic.monthly_requests:,.0f} a month), "
            f"last seen {traffic.last_at:%Y-%m-%d}"
        )
    if not files and traffic is None:
        out.append("- named in the watch config only")
    out += ["", "### Evidence", ""]
    ev = item.evidence
    if ev.auditioned and ev.candidate:
        which = (
            "the live replacement"
            if ev.is_replacement
            else "the audition's leader (the live replacement was not auditioned)"
        )
        out.append(
            f"Latest audition ({ev.audited_at[:10] if ev.audited_at else '?'}, "
            f"{ev.n_cases} cases): `{ev.candidate}`, {which}. 95 % intervals."
        )
        out += ["", "| metric | candidate | baseline |", "|---|---|---|"]
        out += [f"| {a} | {b} | {c} |" for a, b, c in evidence_rows(ev)]
        out.append("")
        if ev.regressions:
            shown = ", ".join(f"`{r}`" for r in ev.regressions[:10])
            more = f" and {len(ev.regressions) - 10} more" if len(ev.regressions) > 10 else ""
            out.append(f"Regressions to review ({len(ev.regressions)}): {shown}{more}")
        else:
            out.append("Regressions to review: none")
    else:
        out.append(
            "Not auditioned yet."
            + (f" Run:\n\n```console\n{ev.command}\n```" if ev.command else "")
        )
    out += ["", "### Request changes", ""]
    out += [f"- **{c.severity}** ({c.kind}): {c.text}" for c in item.changes] or ["- none found"]
    out += ["", "### Checklist", ""]
    out += [f"- [ ] {step}" for step in item.checklist]
    if item.fix_diff:
        out += [
            "",
            "<details><summary><code>recast scan --fix</code> diff</summary>",
            "",
            "```diff",
            item.fix_diff.rstrip("\n"),
            "```",
            "",
            "</details>",
        ]
    if item.gateway_snippet:
        out += [
            "",
            "Gateway (`recast serve` config):",
            "",
            "```yaml",
            item.gateway_snippet.rstrip("\n"),
            "```",
        ]
    out.append("")
    return out


def to_markdown(plan: Plan) -> str:
    """The plan as GitHub-flavoured Markdown."""
    out = [f"# Migration plan ({plan.as_of.isoformat()})", ""]
    if plan.catalog_note:
        out += [f"> {plan.catalog_note}", ""]
    if not plan.items:
        out += [
            f"Nothing to migrate: none of the {plan.watched} watched models is deprecated, "
            f"retired or within {max(plan.horizons)} days of a shutdown.",
            "",
        ]
        return "\n".join(out)
    out += [
        "| model | platform | why | shutdown | live replacement | evidence |",
        "|---|---|---|---|---|---|",
    ]
    for item in plan.items:
        final = item.advice.final
        out.append(
            f"| `{_md(item.offering.platform_id)}` | {item.offering.platform} | "
            f"{_md(item.reason)} | "
            f"{_md(item.shutdown.text()) if item.shutdown else 'unknown'} | "
            f"{'`' + _md(final.platform_id or final.model) + '`' if final else 'none'} | "
            f"{'auditioned' if item.evidence.auditioned else 'not auditioned'} |"
        )
    out.append("")
    for item in plan.items:
        out += _item_markdown(item)
    out.append(f"_{plan.watched} models watched; generated by `recast plan`._")
    return "\n".join(out) + "\n"


def to_json(plan: Plan) -> str:
    """The plan as JSON (``schema_version`` 1)."""
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"


def to_html(plan: Plan) -> str:
    """The plan as one offline HTML file (inline CSS, no script, no external resource)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("plan.html.j2")
    return template.render(plan=plan, evidence_rows=evidence_rows)


def render(plan: Plan, fmt: str) -> str:
    """Render ``plan`` in one of :data:`FORMATS`."""
    if fmt == "markdown":
        return to_markdown(plan)
    if fmt == "html":
        return to_html(plan)
    if fmt == "json":
        return to_json(plan)
    from recast.errors import ConfigError

    raise ConfigError(f"Unknown plan format {fmt!r}; use one of: {', '.join(FORMATS)}.")
