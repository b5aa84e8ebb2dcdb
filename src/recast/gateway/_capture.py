"""The gateway's side of the store: capture sink and gateway-key verification.

:class:`StoreCapture` turns a relayed :class:`~recast.gateway._app.Exchange` into a
:class:`recast.store.CapturedExchange` (JSON bodies, assembled streams, usage, cost) and
offers it to the store's non-blocking :class:`recast.store.CaptureWriter`. The store's
redactor runs in the writer thread, so keys and configured PII never reach the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from recast.gateway._app import Exchange
from recast.gateway._assemble import Usage, assemble_stream, parse_json, quick_usage, usage_of
from recast.gateway._config import CaptureConfig
from recast.gateway._prices import Prices as _Prices
from recast.store import CapturedExchange, CaptureWriter, GatewayKey, Redactor, Store, open_store
from recast.store._redact import RawJson


def _body(body: bytes) -> Any:
    """A JSON body decoded, kept with its text (a :class:`RawJson`) so it is serialised once.

    Not JSON: its text, as :func:`~recast.gateway._assemble.parse_json` gives it.
    """
    try:
        text = body.decode("utf-8")
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return parse_json(body)
    if isinstance(value, (dict, list)):
        return RawJson(text, value)
    return value


def build_redactor(config: CaptureConfig) -> Redactor:
    """The store redactor for a capture config: secrets always, plus PII fields/patterns."""
    return Redactor(fields=config.redact_fields, rules=config.redact_patterns)


def to_captured(exchange: Exchange, prices: _Prices | None = None) -> CapturedExchange:
    """Convert what the gateway saw into the store's row type."""
    body = exchange.response_body
    response: Any = None
    usage = Usage()
    if body:
        if exchange.stream:
            response, usage = assemble_stream(body)
        else:
            response = _body(body)
            value = response.value if type(response) is RawJson else response
            usage = usage_of(value) if isinstance(value, dict) else quick_usage(body)
    detail: dict[str, Any] = dict(exchange.route_detail)
    if exchange.truncated:
        detail["truncated"] = True
    cost = prices.cost(exchange.served_model, usage) if prices and exchange.status < 400 else None
    request = exchange.request
    if request is None:
        request = _body(exchange.request_body)
    return CapturedExchange(
        id=exchange.id,
        requested_model=exchange.requested_model,
        endpoint=exchange.endpoint,
        request=request,
        response=response,
        served_model=exchange.served_model,
        platform=exchange.platform,
        upstream=exchange.upstream,
        route=exchange.route,
        route_detail=detail,
        status_code=exchange.status,
        stream=exchange.stream,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_tokens=usage.cached_tokens,
        latency_ms=round(exchange.latency_ms, 3),
        ttft_ms=round(exchange.ttft_ms, 3) if exchange.ttft_ms is not None else None,
        cost_usd=cost,
        error=exchange.error,
        key_id=exchange.key_id,
        shadow_of=exchange.shadow_of,
    )


class StoreCapture:
    """A :class:`~recast.gateway._app.CaptureSink` writing to a store through CaptureWriter."""

    def __init__(self, store: Store, config: CaptureConfig) -> None:
        self.store = store
        self.config = config
        self.writer = CaptureWriter(
            store, max_queue=config.queue_size, batch_size=config.batch_size
        )
        self.prices = _Prices()
        self._last_retention = 0.0

    @classmethod
    def open(cls, url: str | None, config: CaptureConfig) -> StoreCapture:
        """Open the store at ``url`` (default: SQLite in the recast home) with redaction."""
        store = open_store(url or config.store, redactor=build_redactor(config))
        return cls(store, config)

    def offer(self, exchange: Exchange) -> bool:
        return self.writer.offer(to_captured(exchange, self.prices))

    def stats(self) -> dict[str, int]:
        return self.writer.stats()

    def apply_retention(self) -> int:
        """Delete exchanges past the configured age or count; return how many went."""
        config = self.config
        if config.retention_days is None and config.max_exchanges is None:
            return 0
        return self.store.apply_retention(config.retention_days, config.max_exchanges)

    def retention_due(self, every_s: float = 300.0) -> bool:
        now = time.monotonic()
        if now - self._last_retention >= every_s:
            self._last_retention = now
            return True
        return False

    def close(self, timeout: float = 30.0) -> bool:
        """Write everything queued, then close the writer and the store."""
        done = self.writer.close(timeout)
        self.store.close()
        return done


class StoreKeys:
    """A :class:`~recast.gateway._app.KeyVerifier` over the store, with a short cache.

    A verified key is remembered for ``ttl`` seconds (a revocation takes effect within
    that time); unknown keys are remembered for a second to blunt guessing floods.
    """

    def __init__(self, store: Store, ttl: float = 10.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[float, GatewayKey | None]] = {}

    async def verify(self, token: str) -> GatewayKey | None:
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        key = await asyncio.to_thread(self.store.verify_key, token)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now + (self.ttl if key is not None else 1.0), key)
        return key
