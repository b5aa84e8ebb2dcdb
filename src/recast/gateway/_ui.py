"""The ``/ui`` dashboard: one server-rendered Jinja2 page, no build step, no JavaScript."""

from __future__ import annotations

import asyncio
import statistics
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

if TYPE_CHECKING:
    from recast.gateway._app import Gateway

_env: Environment | None = None


def _environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(
            loader=PackageLoader("recast.gateway", "templates"),
            autoescape=select_autoescape(["html"]),
        )
    return _env


def _text(response: Any) -> str:
    """The answer text of an OpenAI chat completion or Anthropic message."""
    if not isinstance(response, dict):
        return ""
    choices = response.get("choices")
    if isinstance(choices, list) and choices:
        message = choices[0].get("message") if isinstance(choices[0], dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            return str(message["content"])
        if isinstance(choices[0], dict) and isinstance(choices[0].get("text"), str):
            return str(choices[0]["text"])
    content = response.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def shadow_summaries(store: Any, limit: int = 2000) -> list[dict[str, Any]]:
    """Per (baseline served model, candidate): cases, errors, latency, tokens, same text."""
    groups: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    for pair in store.exchange_pairs(limit=limit):
        for shadow in pair.shadows:
            key = (
                pair.primary.served_model or pair.primary.requested_model,
                shadow.served_model or "?",
            )
            groups.setdefault(key, []).append((pair.primary, shadow))
    out = []
    for (baseline, candidate), pairs in sorted(groups.items()):
        base_lat = [p.latency_ms for p, _ in pairs if p.latency_ms is not None]
        cand_lat = [s.latency_ms for _, s in pairs if s.latency_ms is not None and not s.error]
        base_tok = [p.output_tokens for p, _ in pairs if p.output_tokens is not None]
        cand_tok = [s.output_tokens for _, s in pairs if s.output_tokens is not None]
        errors = sum(1 for _, s in pairs if s.error or (s.status_code or 0) >= 400)
        same = sum(
            1 for p, s in pairs if _text(p.response) and _text(p.response) == _text(s.response)
        )
        out.append(
            {
                "baseline": baseline,
                "candidate": candidate,
                "cases": len(pairs),
                "errors": errors,
                "baseline_latency": f"{statistics.median(base_lat):.0f}" if base_lat else "—",
                "candidate_latency": f"{statistics.median(cand_lat):.0f}" if cand_lat else "—",
                "baseline_tokens": f"{statistics.mean(base_tok):.0f}" if base_tok else "—",
                "candidate_tokens": f"{statistics.mean(cand_tok):.0f}" if cand_tok else "—",
                "same_text": same / len(pairs) if pairs else 0.0,
            }
        )
    return out


def dashboard_context(gateway: Gateway, shadows: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything the dashboard shows, as plain data (tested without a browser too)."""
    stats = gateway.stats
    config = gateway.config
    today = gateway._date()
    total = sum(stats.requested.values())
    models = []
    for model, count in sorted(stats.requested.items(), key=lambda kv: -kv[1]):
        life = gateway.state.router.lifecycle(model)
        state = life.state_on(today)
        models.append(
            {
                "model": model,
                "requests": count,
                "share": count / total if total else 0.0,
                "state": state,
                "shutdown_on": life.shutdown_on.isoformat() if life.shutdown_on else None,
                "days_left": life.days_left(today),
                "replacement": life.replacement,
            }
        )
    served_total = sum(stats.served.values())
    served = [
        {"model": m, "count": c, "share": c / served_total if served_total else 0.0}
        for m, c in sorted(stats.served.items(), key=lambda kv: -kv[1])
    ]
    routes = []
    for model, route in config.routes.items():
        routes.append(
            {
                "model": model,
                "alias": route.alias,
                "policy": route.policy,
                "redirect_on": route.redirect_on,
                "replacement": gateway.state.router.plan(model).replacement,
                "canary": route.canary,
                "shadow": route.shadow,
                "fallbacks": [
                    f"{t.model}@{t.upstream}" if t.upstream else t.model for t in route.fallbacks
                ],
            }
        )
    runtime = getattr(gateway, "runtime", None)
    capture = {"captured": 0, "dropped": 0, "pending": 0}
    if runtime is not None and runtime.capture is not None:
        capture.update(runtime.capture.stats())
    return {
        "started_at": datetime.fromtimestamp(stats.started_at, timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "total": total,
        "in_flight": stats.in_flight,
        "capture": capture,
        "models": models,
        "served": served,
        "routes": routes,
        "shadows": shadows,
    }


async def render_dashboard(gateway: Gateway) -> bytes:
    """Render ``/ui`` (store queries run in a thread, off the event loop)."""
    runtime = getattr(gateway, "runtime", None)
    shadows: list[dict[str, Any]] = []
    if runtime is not None and runtime.store is not None:
        try:
            shadows = await asyncio.to_thread(shadow_summaries, runtime.store)
        except Exception:
            shadows = []
    context = dashboard_context(gateway, shadows)
    return _environment().get_template("dashboard.html").render(**context).encode()
