"""Route decisions: which model on which upstream serves a requested model, and why.

Everything that does not depend on the request (alias, lifecycle facts, headers, the
fallback chain) is computed once per requested model and cached; per request only the
policy date check and the canary hash run.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from recast.gateway._config import GatewayConfig, Route, Shadow, UpstreamConfig
from recast.gateway._lifecycle import ModelLifecycle, lifecycle_of


@dataclass(frozen=True)
class Hop:
    """One model on one upstream: an entry of the fallback chain."""

    model: str
    upstream: UpstreamConfig


@dataclass(frozen=True)
class Decision:
    """The outcome of routing one request."""

    requested: str
    chain: tuple[Hop, ...]
    reason: str  # direct | alias | redirect | canary | canary-control
    headers: tuple[tuple[bytes, bytes], ...]
    lifecycle: ModelLifecycle
    shadow: Shadow | None = None
    blocked: str | None = None  # the 410 message when the policy blocks

    @property
    def served(self) -> str:
        return self.chain[0].model if self.chain else self.requested


@dataclass
class _Plan:
    requested: str
    target: str
    route: Route | None
    lifecycle: ModelLifecycle
    replacement: str | None
    hops: tuple[Hop, ...]  # primary target + fallbacks
    replacement_hops: tuple[Hop, ...]
    canary_hops: tuple[Hop, ...]
    lifecycle_headers: tuple[tuple[bytes, bytes], ...]
    redirect_from: date | None
    alias: bool
    cache: dict[tuple[str, str], Decision] = field(default_factory=dict)


class UnknownModel(Exception):
    """No route and no upstream serves the requested model."""


class Router:
    """Turns a requested model (and a sticky key) into a :class:`Decision`."""

    def __init__(self, config: GatewayConfig, today: Callable[[], date] = date.today) -> None:
        self.config = config
        #: The day lifecycles (and so live replacements) are read for: the first request's,
        #: and each new day's (plans are rebuilt when the day changes).
        self.today = today
        self._day: date | None = None
        self._plans: dict[str, _Plan] = {}
        self._lifecycles: dict[str, ModelLifecycle] = {}

    def lifecycle(self, model: str) -> ModelLifecycle:
        found = self._lifecycles.get(model)
        if found is None:
            found = lifecycle_of(model, self.config, self._day or self.today())
            self._lifecycles[model] = found
        return found

    def _hop(self, model: str, pinned: str | None = None) -> Hop | None:
        config = self.config
        if pinned:
            return Hop(model, config.upstream(pinned))
        route = config.routes.get(model)
        if route is not None and route.upstream:
            return Hop(model, config.upstream(route.upstream))
        upstream = config.upstream_for(model)
        return Hop(model, upstream) if upstream else None

    def _chain(self, first: str, route: Route | None, pinned: str | None) -> tuple[Hop, ...]:
        hops: list[Hop] = []
        hop = self._hop(first, pinned)
        if hop is not None:
            hops.append(hop)
        for target in route.fallbacks if route else ():
            fallback = self._hop(target.model, target.upstream)
            if fallback is not None and fallback not in hops:
                hops.append(fallback)
        return tuple(hops)

    def plan(self, requested: str) -> _Plan:
        plan = self._plans.get(requested)
        if plan is not None:
            return plan
        route = self.config.routes.get(requested)
        target = route.alias if route and route.alias else requested
        pinned = route.upstream if route else None
        if route is None and self.config.upstream_for(target) is None:
            raise UnknownModel(requested)  # before any catalog lookup: unknown ids are cheap
        lifecycle = self.lifecycle(target)
        replacement = (route.replacement if route else None) or lifecycle.replacement
        hops = self._chain(target, route, pinned)
        replacement_hops = self._chain(replacement, route, None) if replacement else ()
        canary_hops: tuple[Hop, ...] = ()
        if route and route.canary:
            canary_hops = self._chain(route.canary.model, route, None)
        redirect_from: date | None = None
        if route and route.policy == "redirect":
            redirect_from = route.redirect_on or lifecycle.shutdown_on
        plan = _Plan(
            requested=requested,
            target=target,
            route=route,
            lifecycle=lifecycle,
            replacement=replacement,
            hops=hops,
            replacement_hops=replacement_hops,
            canary_hops=canary_hops,
            lifecycle_headers=tuple(lifecycle.headers()),
            redirect_from=redirect_from,
            alias=target != requested,
        )
        if len(self._plans) < 10_000:
            self._plans[requested] = plan
        return plan

    def decide(self, requested: str, sticky: str | None, today: date) -> Decision:
        """Route one request; raise :class:`UnknownModel` when nothing serves it."""
        if today != self._day:  # a new day: a replacement may have retired overnight
            self._day = today
            self._plans.clear()
            self._lifecycles.clear()
        plan = self.plan(requested)
        route = plan.route
        reason = "alias" if plan.alias else "direct"
        hops = plan.hops
        if route is not None and route.policy == "block":
            replacement = plan.replacement
            hint = f" Use {replacement!r} instead." if replacement else ""
            return self._cached(
                plan,
                reason,
                hops,
                blocked=f"Model {requested!r} is blocked by the gateway's lifecycle policy.{hint}",
            )
        if route is not None and route.policy == "redirect" and plan.replacement_hops:
            due = (
                today >= plan.redirect_from
                if plan.redirect_from is not None
                else plan.lifecycle.retired(today)
            )
            if due:
                return self._cached(plan, "redirect", plan.replacement_hops)
        if route is not None and route.canary is not None and plan.canary_hops:
            if _bucket(requested, sticky) < route.canary.percent / 100.0:
                return self._cached(plan, "canary", plan.canary_hops)
            reason = "canary-control" if reason == "direct" else reason
        if not hops:
            raise UnknownModel(requested)
        return self._cached(plan, reason, hops)

    def _cached(
        self, plan: _Plan, reason: str, hops: tuple[Hop, ...], blocked: str | None = None
    ) -> Decision:
        key = (reason, hops[0].model if hops else "")
        decision = plan.cache.get(key)
        if decision is not None:
            return decision
        headers = list(plan.lifecycle_headers)
        route = plan.route
        decision = Decision(
            requested=plan.requested,
            chain=hops,
            reason=reason,
            headers=tuple(headers),
            lifecycle=plan.lifecycle,
            shadow=route.shadow if route is not None else None,
            blocked=blocked,
        )
        plan.cache[key] = decision
        return decision


def _bucket(requested: str, sticky: str | None) -> float:
    """A number in [0, 1): stable for a sticky key, random without one."""
    if not sticky:
        return random.random()
    digest = hashlib.blake2b(f"{requested}\x00{sticky}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
