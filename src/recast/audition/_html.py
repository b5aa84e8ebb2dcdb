"""The single-file, offline HTML report: leaderboard, charts and a per-case diff view.

Everything is inline (CSS, JavaScript, SVG charts drawn here in Python); the
page loads nothing from the network. Case data is embedded as JSON and the
word-level diff is computed in the browser when a case is opened.
"""

from __future__ import annotations

import html
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from recast.audition._audition import AuditionReport
from recast.audition._report import _shift_summary, format_estimate, to_json

PALETTE = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")
_CHART_METRICS = ("fidelity", "content", "style", "structure", "refusal", "quality")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _scatter(report: AuditionReport) -> str:
    """Fidelity (y) vs cost per case (x) with CI whiskers; one dot per candidate."""
    points = []
    for i, c in enumerate(report.candidates):
        fid = c.estimates.get("fidelity")
        cost = c.estimates.get("cost_usd")
        if fid is None or fid.n == 0:
            continue
        x = cost.mean if cost is not None and cost.n and not math.isnan(cost.mean) else None
        points.append((c.name, x, fid, PALETTE[i % len(PALETTE)]))
    width, height, left, bottom, top, right = 560, 300, 64, 44, 16, 24
    if not points:
        return "<p class='muted'>No fidelity to plot.</p>"
    costs = [p[1] for p in points if p[1] is not None]
    x_max = max(costs) * 1.15 if costs and max(costs) > 0 else 1.0
    lows = [p[2].ci_low for p in points]
    highs = [p[2].ci_high for p in points]
    y_min = max(0.0, math.floor(min(lows) * 10) / 10 - 0.05)
    y_max = min(1.0, math.ceil(max(highs) * 10) / 10 + 0.02)
    if y_max <= y_min:
        y_max = y_min + 0.1

    def sx(v: float) -> float:
        return left + (v / x_max) * (width - left - right)

    def sy(v: float) -> float:
        return top + (1 - (v - y_min) / (y_max - y_min)) * (height - top - bottom)

    parts = [
        f"<svg class='chart' id='chart-scatter' viewBox='0 0 {width} {height}' role='img' "
        "aria-label='Fidelity versus cost per case'>"
    ]
    for k in range(5):
        yv = y_min + (y_max - y_min) * k / 4
        parts.append(
            f"<line x1='{left}' x2='{width - right}' y1='{sy(yv):.1f}' "
            f"y2='{sy(yv):.1f}' class='grid'/>"
            f"<text x='{left - 8}' y='{sy(yv) + 4:.1f}' class='tick' "
            f"text-anchor='end'>{yv:.2f}</text>"
        )
        xv = x_max * k / 4
        parts.append(
            f"<text x='{sx(xv):.1f}' y='{height - bottom + 18}' class='tick' "
            f"text-anchor='middle'>${xv:.4f}</text>"
        )
    parts.append(
        f"<text x='{(left + width - right) / 2}' y='{height - 6}' class='axis' "
        "text-anchor='middle'>cost per case (USD, catalog prices)</text>"
        f"<text x='14' y='{(top + height - bottom) / 2}' class='axis' text-anchor='middle' "
        f"transform='rotate(-90 14 {(top + height - bottom) / 2})'>fidelity</text>"
    )
    for name, x, fid, color in points:
        cx = sx(x) if x is not None else left + 6
        parts.append(
            f"<g class='point' data-candidate='{_esc(name)}'>"
            f"<line x1='{cx:.1f}' x2='{cx:.1f}' y1='{sy(fid.ci_low):.1f}' "
            f"y2='{sy(fid.ci_high):.1f}' "
            f"stroke='{color}' stroke-width='2'/>"
            f"<circle cx='{cx:.1f}' cy='{sy(fid.mean):.1f}' r='6' fill='{color}'>"
            f"<title>{_esc(name)}: fidelity {fid.mean:.3f} [{fid.ci_low:.3f}, {fid.ci_high:.3f}]"
            f"{'' if x is None else f', ${x:.5f} per case'}</title></circle>"
            f"<text x='{cx + 9:.1f}' y='{sy(fid.mean) - 8:.1f}' class='label'>"
            f"{_esc(name)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _metric_bars(report: AuditionReport) -> str:
    """Grouped horizontal bars per metric with 95% CI whiskers, scale 0..1."""
    metrics = [
        m
        for m in _CHART_METRICS
        if any(c.estimates.get(m) is not None and c.estimates[m].n for c in report.candidates)
    ]
    n_c = len(report.candidates)
    bar_h, gap, left, width = 14, 14, 110, 560
    height = len(metrics) * (n_c * (bar_h + 3) + gap) + 30
    scale = width - left - 40
    parts = [
        f"<svg class='chart' id='chart-metrics' viewBox='0 0 {width} {height}' role='img' "
        "aria-label='Metrics with confidence intervals'>"
    ]
    for k in range(6):
        x = left + scale * k / 5
        parts.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='4' y2='{height - 22}' class='grid'/>"
            f"<text x='{x:.1f}' y='{height - 8}' class='tick' "
            f"text-anchor='middle'>{k / 5:.1f}</text>"
        )
    y = 8
    for m in metrics:
        info = report.metric(m)
        parts.append(
            f"<text x='{left - 10}' y='{y + (n_c * (bar_h + 3)) / 2 + 4:.1f}' class='axis' "
            f"text-anchor='end'>{_esc(info.label if info else m)}</text>"
        )
        for i, c in enumerate(report.candidates):
            est = c.estimates.get(m)
            color = PALETTE[i % len(PALETTE)]
            if est is not None and est.n and not math.isnan(est.mean):
                w = max(0.0, min(1.0, est.mean)) * scale
                lo = left + max(0.0, est.ci_low) * scale
                hi = left + min(1.0, est.ci_high) * scale
                mid = y + bar_h / 2
                parts.append(
                    f"<rect class='bar' x='{left}' y='{y}' width='{w:.1f}' height='{bar_h}' "
                    f"fill='{color}' opacity='0.85'><title>{_esc(c.name)} {m}: "
                    f"{format_estimate(est)}</title></rect>"
                    f"<line x1='{lo:.1f}' x2='{hi:.1f}' y1='{mid}' y2='{mid}' class='whisker'/>"
                    f"<line x1='{lo:.1f}' x2='{lo:.1f}' y1='{mid - 4}' y2='{mid + 4}' "
                    "class='whisker'/>"
                    f"<line x1='{hi:.1f}' x2='{hi:.1f}' y1='{mid - 4}' y2='{mid + 4}' "
                    "class='whisker'/>"
                )
            y += bar_h + 3
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def _latency_bars(report: AuditionReport) -> str:
    """p50 and p95 latency per candidate and for the baseline."""
    rows = [("baseline", report.baseline.latency_p50, report.baseline.latency_p95, "#6b7280")]
    for i, c in enumerate(report.candidates):
        rows.append((c.name, c.latency_p50, c.latency_p95, PALETTE[i % len(PALETTE)]))
    rows = [r for r in rows if not math.isnan(r[1])]
    if not rows:
        return (
            "<svg class='chart' id='chart-latency' viewBox='0 0 560 40'><text x='10' y='24' "
            "class='axis'>No latency recorded for these responses.</text></svg>"
        )
    top = max(r[2] for r in rows) or 1.0
    left, width, bar_h = 140, 560, 12
    height = len(rows) * 34 + 26
    scale = width - left - 70
    parts = [
        f"<svg class='chart' id='chart-latency' viewBox='0 0 {width} {height}' role='img' "
        "aria-label='Latency p50 and p95'>"
    ]
    y = 6
    for name, p50, p95, color in rows:
        parts.append(
            f"<text x='{left - 10}' y='{y + 15}' class='axis' text-anchor='end'>{_esc(name)}</text>"
            f"<rect x='{left}' y='{y}' width='{p95 / top * scale:.1f}' height='{bar_h}' "
            f"fill='{color}' "
            f"opacity='0.3'><title>p95 {p95:.2f}s</title></rect>"
            f"<rect x='{left}' y='{y + bar_h + 2}' width='{p50 / top * scale:.1f}' "
            f"height='{bar_h}' "
            f"fill='{color}'><title>p50 {p50:.2f}s</title></rect>"
            f"<text x='{left + p95 / top * scale + 6:.1f}' y='{y + 11}' class='tick'>"
            f"p95 {p95:.1f}s</text>"
            f"<text x='{left + p50 / top * scale + 6:.1f}' y='{y + bar_h + 13}' class='tick'>"
            f"p50 {p50:.1f}s</text>"
        )
        y += 34
    parts.append("</svg>")
    return "".join(parts)


def _case_rows(report: AuditionReport) -> list[dict[str, Any]]:
    names = [c.name for c in report.candidates]
    regressions = {c.name: set(c.regressions) for c in report.candidates}
    improvements = {c.name: set(c.improvements) for c in report.candidates}
    rows = []
    for i, case in enumerate(report.cases):
        per: dict[str, Any] = {}
        for c in report.candidates:
            response = c.responses[i]
            values = {
                m: (None if math.isnan(float(v[i])) else round(float(v[i]), 3))
                for m, v in c.values.items()
            }
            per[c.name] = {
                "text": response.text if response is not None else "",
                "error": response.error if response is not None else "no response",
                "v": values,
                "regression": case.id in regressions[c.name],
                "improvement": case.id in improvements[c.name],
            }
        rows.append(
            {
                "id": case.id,
                "tags": list(case.tags),
                "prompt": case.prompt_text[:4000],
                "baseline": case.baseline.text if case.baseline else "",
                "reference": case.reference.value if case.reference else None,
                "c": per,
            }
        )
    del names
    return rows


def render_html(report: AuditionReport) -> str:
    """Return the report as one self-contained HTML page."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("recast.audition", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    template = env.get_template("report.html.j2")
    summary = to_json(report)
    data = {
        "candidates": [c.name for c in report.candidates],
        "colors": {c.name: PALETTE[i % len(PALETTE)] for i, c in enumerate(report.candidates)},
        "cases": _case_rows(report),
    }
    # Escape "</" so case text cannot close the script element.
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    tags = sorted({t for c in report.cases for t in c.tags})
    return template.render(
        report=report,
        summary=summary,
        metrics=[m for m in summary["metrics"] if m["kind"] != "operational"],
        format_estimate=format_estimate,
        shift_summary=_shift_summary,
        scatter=_scatter(report),
        metric_bars=_metric_bars(report),
        latency=_latency_bars(report),
        payload=payload,
        tags=tags[:300],
        has_quality=any(
            c.estimates.get("quality") is not None and c.estimates["quality"].n
            for c in report.candidates
        ),
        has_latency=any(not math.isnan(c.latency_p50) for c in report.candidates),
        has_monthly=any(c.monthly_cost_usd is not None for c in report.candidates),
        shown=[
            m
            for m in _CHART_METRICS
            if any(c.estimates.get(m) is not None and c.estimates[m].n for c in report.candidates)
        ],
        colors=data["colors"],
    )


def write_html(report: AuditionReport, path: str | Path) -> Path:
    """Write the HTML report atomically (temp file + rename); return the path."""
    target = Path(path)
    text = render_html(report)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".recast-report-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
