"""The gateway's side of the store: capture sink and gateway-key verification.

:class:`StoreCapture` turns a relayed :class:`~recast.gateway._app.Exchange` into a
:class:`recast.store.CapturedExchange` (bodies as text, usage, cost) and offers it to the
store's non-blocking :class:`recast.store.CaptureWriter`. The store's redactor runs in
the writer thread, so keys and configured PII never reach the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any

from recast.gateway._app import _DIRECT, Exchange
from recast.gateway._config import CaptureConfig
from recast.gateway._prices import Prices as _Prices
from recast.store import CapturedExchange, CaptureWriter, GatewayKey, Redactor, Store, open_store
from recast.store._redact import RawJson, RawStream
from recast.store._sse import quick_usage
from recast.store._types import new_id, utcnow

log = logging.getLogger("recast.gateway.capture")

_DIRECT_TEXT = RawJson('{"reason":"direct"}', _DIRECT)


def _text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def build_redactor(config: CaptureConfig) -> Redactor:
    """The store redactor for a capture config: secrets always, plus PII fields/patterns."""
    return Redactor(fields=config.redact_fields, rules=config.redact_patterns)


def to_captured(exchange: Exchange, prices: _Prices | None = None) -> CapturedExchange:
    """Convert what the gateway saw into the store's row type, without decoding bodies.

    Bodies go to the store as text (:class:`RawJson`, :class:`RawStream`): the store
    stores them as they are when its redactor finds nothing to do, and validates JSON
    itself, so the common exchange is never parsed here. Usage and cost come from the
    gateway when it read them for its metrics, otherwise from the body's text.
    """
    body = exchange.response_body
    response: Any = None
    if body:
        response = RawStream(_text(body)) if exchange.stream else RawJson(_text(body))
    tokens = (exchange.input_tokens, exchange.output_tokens, exchange.cached_tokens)
    cost = exchange.cost_usd
    if body and not exchange.usage_read:
        usage = quick_usage(body)
        tokens = (usage.input_tokens, usage.output_tokens, usage.cached_tokens)
        if cost is None and prices is not None and exchange.status < 400:
            cost = prices.cost(exchange.served_model, usage)
    detail: Any = exchange.route_detail
    if detail == _DIRECT:
        detail = _DIRECT_TEXT  # the common case, already serialised
    if exchange.truncated:
        detail = {**(exchange.route_detail or {}), "truncated": True}
    request = exchange.request
    if exchange.request_body:
        request = RawJson(_text(exchange.request_body))
    return CapturedExchange(
        id=exchange.id or new_id(exchange.arrived or None),
        captured_at=datetime.fromtimestamp(exchange.arrived, timezone.utc)
        if exchange.arrived
        else utcnow(),
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
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cached_tokens=tokens[2],
        latency_ms=round(exchange.latency_ms, 3),
        ttft_ms=round(exchange.ttft_ms, 3) if exchange.ttft_ms is not None else None,
        cost_usd=cost,
        error=exchange.error,
        key_id=exchange.key_id,
        shadow_of=exchange.shadow_of,
    )


class StoreCapture:
    """A :class:`~recast.gateway._app.CaptureSink` writing to a store through CaptureWriter."""

    def __init__(self, store: Store, config: CaptureConfig, *, background: bool = True) -> None:
        self.store = store
        self.config = config
        self.writer = CaptureWriter(
            store, max_queue=config.queue_size, batch_size=config.batch_size, background=background
        )
        self.prices = _Prices()
        self._last_retention = 0.0

    @classmethod
    def open(
        cls, url: str | None, config: CaptureConfig, *, background: bool = True
    ) -> StoreCapture:
        """Open the store at ``url`` (default: SQLite in the recast home) with redaction.

        ``background=False``: no writer thread; hand batches to :meth:`write`.
        """
        store = open_store(url or config.store, redactor=build_redactor(config))
        return cls(store, config, background=background)

    def offer(self, exchange: tuple[Any, ...]) -> bool:
        """Queue ``exchange`` (an :class:`Exchange`, or a plain tuple of its fields)."""
        return self.writer.offer(to_captured(Exchange._make(exchange), self.prices))

    def write(self, batch: list[Exchange]) -> None:
        """Convert and write ``batch`` now (no writer thread); a bad exchange counts as failed."""
        rows: list[CapturedExchange] = []
        for exchange in batch:
            try:
                rows.append(to_captured(exchange, self.prices))
            except Exception as exc:  # a malformed exchange must not stop the others
                log.error("capture: cannot convert exchange %s: %s", exchange.id, exc)
                self.writer.write_failed(1)
        self.writer.write(rows)

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
