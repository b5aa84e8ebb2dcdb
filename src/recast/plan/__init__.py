"""``recast plan``: a migration plan that assembles itself for each model going away.

Example::

    >>> from recast.plan import build_plan, render
    >>> from recast.store import open_store
    >>> from recast.watch import load_watch_config
    >>> plan = build_plan(load_watch_config("recast.toml"), store=open_store())
    >>> print(render(plan, "markdown"))  # doctest: +SKIP
"""

from __future__ import annotations

from recast.plan._plan import (
    PLAN_SCHEMA_VERSION,
    Change,
    Deadline,
    Evidence,
    Plan,
    PlanItem,
    build_plan,
    gateway_snippet,
    request_changes,
)
from recast.plan._render import FORMATS, render, to_html, to_json, to_markdown

__all__ = [
    "FORMATS",
    "PLAN_SCHEMA_VERSION",
    "Change",
    "Deadline",
    "Evidence",
    "Plan",
    "PlanItem",
    "build_plan",
    "gateway_snippet",
    "render",
    "request_changes",
    "to_html",
    "to_json",
    "to_markdown",
]
