"""Prices per served model from the catalog, cached: what each exchange cost."""

from __future__ import annotations

from recast.store._sse import Usage


class Prices:
    """USD per token for served models, from the catalog (cached; ``None`` when unknown)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, float, float] | None] = {}

    def cost(self, model: str | None, usage: Usage) -> float | None:
        if not model or usage.input_tokens is None or usage.output_tokens is None:
            return None
        if model not in self._cache:
            self._cache[model] = self._lookup(model)
        price = self._cache[model]
        if price is None:
            return None
        inp, out, cached = price
        cached_tokens = usage.cached_tokens or 0
        uncached = max(usage.input_tokens - cached_tokens, 0)
        return (uncached * inp + cached_tokens * cached + usage.output_tokens * out) / 1e6

    @staticmethod
    def _lookup(model: str) -> tuple[float, float, float] | None:
        try:
            from recast.catalog import load_catalog, lookup

            offering = lookup(model)
            prices = load_catalog().prices_for(offering)
        except Exception:
            return None
        if prices is None or prices.input is None or prices.output is None:
            return None
        cached = prices.cached_input if prices.cached_input is not None else prices.input
        return (prices.input, prices.output, cached)
