"""The gateway as a lean ASGI application.

No framework on the hot path: one dict lookup picks the handler, the request JSON is
parsed once to route it, and the original bytes are forwarded with only the ``model``
value changed when routing changed it. Response bytes are relayed untouched (a stream
chunk by chunk), plus the deprecation headers of the requested model.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple, Protocol

from recast.gateway._config import GatewayConfig, UpstreamConfig
from recast.gateway._metrics import Gauge, Metrics
from recast.gateway._prices import Prices
from recast.gateway._routing import Decision, Hop, Router, UnknownModel
from recast.gateway._upstream import (
    Headers,
    UpstreamConnectError,
    UpstreamPool,
    UpstreamProtocolError,
    UpstreamResponse,
    UpstreamTimeout,
)
from recast.store._sse import Usage, quick_usage
from recast.store._types import new_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("recast.gateway")

#: Endpoints relayed to upstreams: incoming path -> path below the upstream's base URL.
RELAYED = {
    "/v1/chat/completions": "/chat/completions",
    "/v1/completions": "/completions",
    "/v1/embeddings": "/embeddings",
    "/v1/responses": "/responses",
    "/v1/messages": "/messages",
}

#: Upstream response headers passed to the client (nothing that names the upstream).
PASS_RESPONSE_HEADERS = frozenset(
    {
        b"content-type",
        b"cache-control",
        b"x-request-id",
        b"request-id",
        b"openai-processing-ms",
        b"openai-version",
        b"retry-after",
        b"x-ratelimit-limit-requests",
        b"x-ratelimit-limit-tokens",
        b"x-ratelimit-remaining-requests",
        b"x-ratelimit-remaining-tokens",
        b"x-ratelimit-reset-requests",
        b"x-ratelimit-reset-tokens",
        b"anthropic-ratelimit-requests-limit",
        b"anthropic-ratelimit-requests-remaining",
        b"anthropic-ratelimit-tokens-limit",
        b"anthropic-ratelimit-tokens-remaining",
    }
)

#: Client request headers forwarded upstream (auth is always the upstream's own key).
PASS_REQUEST_HEADERS = frozenset(
    {b"accept", b"openai-beta", b"anthropic-version", b"anthropic-beta", b"idempotency-key"}
)

_ONE_TOKEN = Usage(1, 1, 0)
#: The route detail of a direct exchange (shared: never modified).
_DIRECT: dict[str, Any] = {"reason": "direct"}
_MODEL_FIELD = re.compile(rb'"model"\s*:\s*"((?:[^"\\]|\\.)*)"')
_JSON_CT = (b"content-type", b"application/json")


# --------------------------------------------------------------------------------------------
# Interfaces to capture and keys (kept small so the store can change behind them)


class Exchange(NamedTuple):
    """One relayed exchange, as the gateway saw it; the capture sink turns it into a row.

    A tuple, because every relayed request builds one and the capture process sends it
    on: built from one tuple and pickled as a plain tuple it costs about a quarter less
    than a dataclass whose 25 fields are read back for pickling (more once the objects
    have left the CPU's cache). The relay builds it positionally, so field order
    matters. ``request`` (the parsed body) is left ``None`` when ``request_body`` is
    given: the sink reads the bytes, which are cheaper to send.
    """

    id: str
    endpoint: str
    requested_model: str
    request: Any
    served_model: str | None
    upstream: str | None
    platform: str | None
    route: str
    route_detail: dict[str, Any]
    status: int
    stream: bool
    response_body: bytes
    latency_ms: float
    ttft_ms: float | None
    error: str | None = None
    key_id: str | None = None
    shadow_of: str | None = None
    truncated: bool = False
    request_body: bytes = b""
    #: Token counts and cost, when the gateway read them for its metrics (``usage_read``);
    #: otherwise the capture sink reads them from the body.
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    usage_read: bool = False
    #: When the request arrived (Unix seconds); 0 means "when captured".
    arrived: float = 0.0


class CaptureSink(Protocol):
    """Where exchanges go; ``offer`` never blocks and returns False when it drops one.

    ``exchange`` has :class:`Exchange`'s fields in its order, and may be a plain tuple:
    the relay builds one per request, and making it a named tuple (a Python call) and
    turning it back into a plain one for pickling cost the serving path about a tenth
    of what capture costs it.
    """

    def offer(self, exchange: tuple[Any, ...]) -> bool: ...


class KeyInfo(Protocol):
    """What the gateway needs of a gateway key."""

    @property
    def id(self) -> str: ...
    @property
    def rpm_limit(self) -> int | None: ...
    def allows(self, model: str) -> bool: ...


class KeyVerifier(Protocol):
    """Look up a presented gateway key; ``None`` when unknown or revoked."""

    async def verify(self, token: str) -> KeyInfo | None: ...


# --------------------------------------------------------------------------------------------
# Errors


def error_body(status: int, message: str, etype: str, code: str | None, anthropic: bool) -> bytes:
    """An OpenAI-format (or, on /v1/messages, Anthropic-format) error body."""
    if anthropic:
        kinds = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            413: "request_too_large",
            429: "rate_limit_error",
            504: "timeout_error",
        }
        doc: dict[str, Any] = {
            "type": "error",
            "error": {
                "type": kinds.get(status, "api_error" if status >= 500 else etype),
                "message": message,
            },
        }
    else:
        doc = {"error": {"message": message, "type": etype, "param": None, "code": code}}
    return json.dumps(doc).encode()


class _Reject(Exception):
    def __init__(self, status: int, message: str, etype: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.etype = etype
        self.code = code


# --------------------------------------------------------------------------------------------
# Per-config state


class GatewayState:
    """Everything built from one config: router, upstream pools, static headers."""

    def __init__(self, config: GatewayConfig, today: Callable[[], date] = date.today) -> None:
        self.config = config
        self.router = Router(config, today)
        self._pools: dict[str, UpstreamPool] = {}
        self._auth_headers: dict[str, Headers] = {}
        self.max_body = config.limits.max_request_bytes

    def pool(self, upstream: UpstreamConfig) -> UpstreamPool:
        pool = self._pools.get(upstream.name)
        if pool is None:
            pool = UpstreamPool(
                upstream.base_url,
                limit=upstream.concurrency,
                connect_timeout=upstream.timeouts.connect,
                read_timeout=upstream.timeouts.read,
            )
            self._pools[upstream.name] = pool
        return pool

    def auth_headers(self, upstream: UpstreamConfig) -> Headers:
        headers = self._auth_headers.get(upstream.name)
        if headers is None:
            key = upstream.api_key()
            headers = [_JSON_CT]
            if key:
                if upstream.kind == "anthropic":
                    headers.append((b"x-api-key", key.encode()))
                elif upstream.kind == "azure":
                    headers.append((b"api-key", key.encode()))
                else:
                    headers.append((b"authorization", b"Bearer " + key.encode()))
            self._auth_headers[upstream.name] = headers
        return headers

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()


# --------------------------------------------------------------------------------------------
# The application


@dataclass
class Stats:
    """Counters the dashboard and readiness use (model names capped like metric labels)."""

    served: dict[str, int] = field(default_factory=dict)
    requested: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    started_at: float = field(default_factory=time.time)


class Gateway:
    """The ASGI application. Swap the config with :meth:`reload`; in-flight requests keep theirs."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        capture: CaptureSink | None = None,
        keys: KeyVerifier | None = None,
        metrics: Metrics | None = None,
        today: Callable[[], date] = date.today,
        ui: Callable[[Gateway], Awaitable[bytes]] | None = None,
    ) -> None:
        self.state = GatewayState(config, today)
        self.capture = capture
        self.keys = keys
        self.metrics = metrics or Metrics()
        self.metrics.know_models(self.model_ids())
        self.today = today
        self.ui = ui
        self.stats = Stats()
        self.prices = Prices()
        self.ready = True
        self.draining = False
        self._logged: dict[str, float] = {}
        self._shadow_in_flight = 0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._today_cache: tuple[float, date] = (0.0, today())
        #: Coroutines run at ASGI lifespan startup and (after draining) at shutdown.
        self.on_startup: list[Callable[[], Awaitable[None]]] = []
        self.on_shutdown: list[Callable[[], Awaitable[None]]] = []
        self.metrics.add_gauge(
            Gauge(
                "recast_model_days_to_shutdown",
                "Days until the shutdown date of each requested model in use (negative: past).",
                ("model",),
                self._days_gauge,
            )
        )
        self.metrics.add_gauge(
            Gauge(
                "recast_in_flight_requests",
                "Requests being relayed now.",
                (),
                lambda: [((), float(self.stats.in_flight))],
            )
        )
        self.handlers: dict[tuple[str, str], Callable[[Scope, Receive, Send], Awaitable[None]]] = {
            ("GET", "/v1/models"): self._models,
            ("GET", "/healthz"): self._healthz,
            ("GET", "/readyz"): self._readyz,
            ("GET", "/metrics"): self._metrics,
            ("GET", "/ui"): self._ui,
            ("GET", "/ui/"): self._ui,
        }

    # -- config -----------------------------------------------------------------------------------
    @property
    def config(self) -> GatewayConfig:
        return self.state.config

    def reload(self, config: GatewayConfig) -> None:
        """Use ``config`` for new requests; requests under way finish with the old one."""
        old = self.state
        self.state = GatewayState(config, self.today)
        self.metrics.know_models(self.model_ids())
        self._logged.clear()
        self.prices = Prices()
        loop = asyncio.get_event_loop()
        loop.call_later(60.0, old.close)

    def warm(self) -> None:
        """Load the catalog and plan every configured model, off the request path."""
        router = self.state.router
        for model in self.model_ids():
            try:
                router.plan(model)
            except UnknownModel:
                continue
            self.prices.cost(model, _ONE_TOKEN)

    def _days_gauge(self) -> list[tuple[tuple[str, ...], float]]:
        today = self._date()
        out: list[tuple[tuple[str, ...], float]] = []
        for model in list(self.stats.requested):
            life = self.state.router.lifecycle(model)
            days = life.days_left(today)
            if days is not None:
                out.append(((model,), float(days)))
        return out

    def _date(self) -> date:
        now = time.monotonic()
        stamp, day = self._today_cache
        if now - stamp > 30.0:
            day = self.today()
            self._today_cache = (now, day)
        return day

    # -- ASGI -------------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            method = scope["method"]
            if method == "POST":
                upstream_path = RELAYED.get(path)
                if upstream_path is not None:
                    await self._relay(scope, receive, send, path, upstream_path)
                    return
            handler = self.handlers.get((method, path))
            if handler is not None:
                await handler(scope, receive, send)
                return
            if method == "GET" and path.startswith("/v1/models/"):
                await self._model(scope, send, path[len("/v1/models/") :])
                return
            status = (
                405
                if path in RELAYED or (method != "GET" and path in {p for _, p in self.handlers})
                else 404
            )
            await _send_error(
                send,
                status,
                f"No route for {method} {path}.",
                "invalid_request_error",
                "not_found",
                path == "/v1/messages",
            )
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await asyncio.to_thread(self.warm)
                    for hook in self.on_startup:
                        await hook()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.drain()
                    for hook in self.on_shutdown:
                        await hook()
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def drain(self, timeout: float = 30.0) -> None:
        """Stop accepting readiness and wait for in-flight requests and shadows to finish."""
        self.ready = False
        self.draining = True
        deadline = time.monotonic() + timeout
        while (self.stats.in_flight or self._background) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    # -- the relay --------------------------------------------------------------------------------
    async def _relay(
        self, scope: Scope, receive: Receive, send: Send, path: str, upstream_path: str
    ) -> None:
        started = time.perf_counter()
        anthropic = path == "/v1/messages"
        state = self.state
        stats = self.stats
        stats.in_flight += 1
        try:
            headers = scope["headers"]
            key_info: KeyInfo | None = None
            try:
                body = await _read_body(receive, headers, state.max_body)
                if state.config.access.require_key:
                    key_info = await self._authenticate(headers)
                request, model, stream = _parse_request(body)
                if key_info is not None:
                    if not key_info.allows(model):
                        raise _Reject(
                            403,
                            f"This gateway key may not call model {model!r}. "
                            "Ask an admin to add it to the key's allowed models.",
                            "permission_error",
                            "model_not_allowed",
                        )
                    self._rate_limit(key_info)
                sticky = _sticky_key(headers, request)
                try:
                    decision = state.router.decide(model, sticky, self._date())
                except UnknownModel:
                    raise _Reject(
                        404,
                        f"The model {model!r} does not exist on this gateway. "
                        "Add a route or an upstream whose 'models' match it.",
                        "invalid_request_error",
                        "model_not_found",
                    ) from None
            except _Reject as reject:
                self.metrics.rejected.inc((reject.code or str(reject.status),))
                await _send_error(
                    send, reject.status, reject.message, reject.etype, reject.code, anthropic
                )
                return
            label = self.metrics.model(model)  # capped like the metrics' labels
            stats.requested[label] = stats.requested.get(label, 0) + 1
            if decision.lifecycle.dated:
                self._log_deprecated(decision)
            if decision.blocked is not None:
                replacement = self.state.router.plan(model).replacement
                extra = list(decision.headers)
                await _send_error(
                    send,
                    410,
                    decision.blocked,
                    "invalid_request_error",
                    "model_blocked",
                    anthropic,
                    extra,
                )
                self.metrics.requests.inc((self.metrics.model(model), "", "block", "410"))
                self._capture_simple(
                    path,
                    model,
                    request,
                    410,
                    decision,
                    started,
                    key_info,
                    error=f"blocked; replacement {replacement!r}",
                )
                return
            await self._forward(
                scope,
                receive,
                send,
                path,
                upstream_path,
                body,
                request,
                model,
                stream,
                decision,
                key_info,
                started,
                anthropic,
            )
        finally:
            stats.in_flight -= 1

    async def _authenticate(self, headers: list[tuple[bytes, bytes]]) -> KeyInfo:
        token = None
        for name, value in headers:
            if name == b"authorization":
                text = value.decode("latin-1")
                if text[:7].lower() == "bearer ":
                    token = text[7:].strip()
                break
            if name == b"x-api-key":
                token = value.decode("latin-1").strip()
                break
        if not token:
            raise _Reject(
                401,
                "Missing gateway key: send 'Authorization: Bearer <key>' "
                "(create one with `recast serve keys create`).",
                "authentication_error",
                "missing_api_key",
            )
        if self.keys is None:
            raise _Reject(
                401,
                "This gateway requires keys but has no key store configured.",
                "authentication_error",
                "invalid_api_key",
            )
        info = await self.keys.verify(token)
        if info is None:
            raise _Reject(
                401, "Invalid or revoked gateway key.", "authentication_error", "invalid_api_key"
            )
        return info

    def _rate_limit(self, key: KeyInfo) -> None:
        limit = key.rpm_limit
        if not limit:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(key.id, (float(limit), now))
        tokens = min(float(limit), tokens + (now - last) * limit / 60.0)
        if tokens < 1.0:
            self._buckets[key.id] = (tokens, now)
            raise _Reject(
                429,
                f"Rate limit of {limit} requests per minute reached for this "
                "gateway key; retry later.",
                "rate_limit_error",
                "rate_limit_exceeded",
            )
        self._buckets[key.id] = (tokens - 1.0, now)

    def _log_deprecated(self, decision: Decision) -> None:
        model = decision.requested
        now = time.monotonic()
        last = self._logged.get(model)
        if last is not None and now - last < self.config.log_interval_s:
            return
        self._logged[model] = now
        life = decision.lifecycle
        log.warning(
            "deprecated model in use",
            extra={
                "fields": {
                    "event": "deprecated_model",
                    "model": model,
                    "deprecated_on": life.deprecated_on.isoformat() if life.deprecated_on else None,
                    "shutdown_on": life.shutdown_on.isoformat() if life.shutdown_on else None,
                    "days_left": life.days_left(self._date()),
                    "replacement": life.replacement,
                    "served_model": decision.served,
                    "route": decision.reason,
                }
            },
        )

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        upstream_path: str,
        body: bytes,
        request: dict[str, Any],
        model: str,
        stream: bool,
        decision: Decision,
        key_info: KeyInfo | None,
        started: float,
        anthropic: bool,
    ) -> None:
        state = self.state
        metrics = self.metrics
        client_headers = [(n, v) for n, v in scope["headers"] if n in PASS_REQUEST_HEADERS]
        attempts: list[dict[str, Any]] = []
        response: UpstreamResponse | None = None
        failure: tuple[int, str, str] | None = None
        last_error_response: tuple[UpstreamResponse, bytes] | None = None
        hop: Hop | None = None
        chain = decision.chain
        for index, candidate in enumerate(chain):
            hop = candidate
            upstream = hop.upstream
            pool = state.pool(upstream)
            send_body = body if hop.model == model else _swap_model(body, request, hop.model)
            req_headers = state.auth_headers(upstream)
            if client_headers:
                req_headers = req_headers + client_headers
            if upstream.kind == "anthropic" and not any(
                n == b"anthropic-version" for n, _ in client_headers
            ):
                req_headers = [*req_headers, (b"anthropic-version", b"2023-06-01")]
            target_path = _upstream_path(upstream, upstream_path, hop.model)
            last = index == len(chain) - 1
            try:
                response = await pool.request(b"POST", target_path, req_headers, send_body)
            except UpstreamTimeout:
                metrics.upstream_errors.inc((upstream.name, "timeout"))
                attempts.append(
                    {"model": hop.model, "upstream": upstream.name, "outcome": "timeout"}
                )
                failure = (
                    504,
                    f"Upstream {upstream.name!r} timed out after {upstream.timeouts.read:g}s.",
                    "upstream_timeout",
                )
                continue
            except (UpstreamConnectError, UpstreamProtocolError) as exc:
                kind = "connect" if isinstance(exc, UpstreamConnectError) else "protocol"
                metrics.upstream_errors.inc((upstream.name, kind))
                attempts.append({"model": hop.model, "upstream": upstream.name, "outcome": kind})
                failure = (
                    502,
                    f"Upstream {upstream.name!r} failed: {kind} error "
                    f"({_clean(str(exc), upstream)}).",
                    "upstream_error",
                )
                continue
            status = response.status
            if status == 429 or status == 404 or status >= 500:
                metrics.upstream_errors.inc((upstream.name, str(status) if status < 500 else "5xx"))
                attempts.append(
                    {"model": hop.model, "upstream": upstream.name, "outcome": f"status {status}"}
                )
                if last:
                    try:
                        err_body = await response.read()
                    except (UpstreamTimeout, UpstreamProtocolError):
                        err_body = b""
                    if status >= 500:
                        failure = (
                            502,
                            f"Upstream {upstream.name!r} answered HTTP {status}.",
                            "upstream_error",
                        )
                        response = None
                    else:
                        last_error_response = (response, err_body)
                    break
                response.aclose()
                response = None
                continue
            attempts.append({"model": hop.model, "upstream": upstream.name, "outcome": "ok"})
            break
        else:
            response = None

        assert hop is not None
        route = decision.reason
        if len(attempts) > 1:
            route = "fallback"
        served = hop.model
        extra_headers = list(decision.headers)
        if served != model:
            extra_headers.append((b"x-recast-served-model", served.encode("ascii", "replace")))
        sink = self.capture
        capture_on = sink is not None
        # the primary's id is needed now only to link shadows; otherwise the writer makes it
        exchange_id = new_id() if decision.shadow else ""

        def capture_primary(
            status: int,
            response_body: bytes,
            elapsed: float,
            error: str | None,
            *,
            is_stream: bool = stream,
            route_detail: dict[str, Any] | None = None,
            ttft: float | None = None,
            truncated: bool = False,
            usage: Usage | None = None,
            cost: float | None = None,
        ) -> None:
            """Offer this request's exchange to the capture writer (all outcomes share it)."""
            # A plain tuple: with 25 fields, keywords (or even positional arguments to the
            # constructor) cost several times as much per request. The order is Exchange's
            # (a test checks every field arrives in its column). Offered here rather than
            # through _offer: one Python call less on every request.
            assert sink is not None
            metrics.captures_offered.value += 1
            if not sink.offer(
                (
                    exchange_id,  # id
                    path,  # endpoint
                    model,  # requested_model
                    None if body else request,  # request
                    served,  # served_model
                    hop.upstream.name,  # upstream
                    hop.upstream.kind,  # platform
                    route,  # route
                    route_detail or {"reason": decision.reason, "attempts": attempts},
                    status,  # status
                    is_stream,  # stream
                    response_body,  # response_body
                    elapsed * 1000,  # latency_ms
                    ttft * 1000 if ttft is not None else None,  # ttft_ms
                    error,  # error
                    key_info.id if key_info else None,  # key_id
                    None,  # shadow_of
                    truncated,  # truncated
                    body,  # request_body
                    usage.input_tokens if usage else None,  # input_tokens
                    usage.output_tokens if usage else None,  # output_tokens
                    usage.cached_tokens if usage else None,  # cached_tokens
                    cost,  # cost_usd
                    usage is not None,  # usage_read
                    time.time() - elapsed,  # arrived
                )
            ):
                metrics.captures_dropped.inc()

        if response is None and last_error_response is None:
            assert failure is not None
            status, message, code = failure
            await _send_error(
                send, status, message, "upstream_error", code, anthropic, extra_headers
            )
            elapsed = time.perf_counter() - started
            metrics.requests.inc((metrics.model(model), metrics.model(served), route, str(status)))
            metrics.latency.observe((metrics.model(served),), elapsed)
            if capture_on:
                capture_primary(status, b"", elapsed, message)
            return

        if last_error_response is not None:
            response, err_body = last_error_response
            out_headers = _response_headers(response.headers, extra_headers)
            await send(
                {"type": "http.response.start", "status": response.status, "headers": out_headers}
            )
            await send({"type": "http.response.body", "body": err_body})
            elapsed = time.perf_counter() - started
            metrics.requests.inc(
                (metrics.model(model), metrics.model(served), route, str(response.status))
            )
            metrics.latency.observe((metrics.model(served),), elapsed)
            if capture_on:
                capture_primary(
                    response.status, err_body, elapsed, f"upstream HTTP {response.status}"
                )
            return

        assert response is not None
        out_headers = _response_headers(response.headers, extra_headers)
        content_type = response.header(b"content-type") or b""
        is_stream = content_type.startswith(b"text/event-stream")
        error: str | None = None
        ttft: float | None = None
        truncated = False
        tail = b""
        if not is_stream:
            try:
                data = await response.read()
            except (UpstreamTimeout, UpstreamProtocolError) as exc:
                response.aclose()
                kind = "timeout" if isinstance(exc, UpstreamTimeout) else "protocol"
                metrics.upstream_errors.inc((hop.upstream.name, kind))
                err_status = 504 if kind == "timeout" else 502
                await _send_error(
                    send,
                    err_status,
                    f"Upstream {hop.upstream.name!r} failed while sending its answer ({kind}).",
                    "upstream_error",
                    "upstream_" + kind,
                    anthropic,
                    extra_headers,
                )
                metrics.requests.inc(
                    (metrics.model(model), metrics.model(served), route, str(err_status))
                )
                return
            out_headers.append((b"content-length", str(len(data)).encode()))
            await send(
                {"type": "http.response.start", "status": response.status, "headers": out_headers}
            )
            await send({"type": "http.response.body", "body": data})
            captured = data
            if capture_on and len(data) > self.config.capture.max_body_bytes:
                captured = b""
                truncated = True
        else:
            parts: list[bytes] = []
            tail = b""  # the end of the stream, where the usage chunk is
            size = 0
            limit = self.config.capture.max_body_bytes
            await send(
                {"type": "http.response.start", "status": response.status, "headers": out_headers}
            )
            watcher = asyncio.ensure_future(_watch_disconnect(receive, response))
            try:
                while True:
                    try:
                        chunk = await response.next_chunk()
                    except (UpstreamTimeout, UpstreamProtocolError) as exc:
                        if watcher.done() and _stream_complete(tail):
                            break  # the client left after the last event: nothing lost
                        error = (
                            "client disconnected"
                            if watcher.done()
                            else f"upstream stream broken: {type(exc).__name__}"
                        )
                        if not watcher.done():
                            metrics.upstream_errors.inc((hop.upstream.name, "stream"))
                        break
                    if chunk is None:
                        break
                    if ttft is None:
                        ttft = time.perf_counter() - started
                    tail = (tail + chunk)[-4096:] if len(chunk) < 4096 else chunk[-4096:]
                    if capture_on and not truncated:
                        # a prefix of what was relayed: once a chunk does not fit, none
                        # after it is kept (a short last one would leave a hole)
                        if size + len(chunk) <= limit:
                            parts.append(chunk)
                            size += len(chunk)
                        else:
                            truncated = True
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    if watcher.done():
                        response.aclose()
                        if not _stream_complete(tail):
                            error = "client disconnected"
                        break
                if error is None or not watcher.done():
                    await send({"type": "http.response.body", "body": b""})
            finally:
                watcher.cancel()
                response.aclose()
            data = b""
            captured = b"".join(parts)
        elapsed = time.perf_counter() - started
        status = response.status
        metrics.requests.inc((metrics.model(model), metrics.model(served), route, str(status)))
        metrics.latency.observe((metrics.model(served),), elapsed)
        if ttft is not None:
            metrics.ttft.observe((metrics.model(served),), ttft)
        label = metrics.model(served)
        self.stats.served[label] = self.stats.served.get(label, 0) + 1
        usage = quick_usage(tail if is_stream else data)
        cost: float | None = None
        if usage.input_tokens:
            metrics.tokens.inc((metrics.model(served), "input"), usage.input_tokens)
        if usage.output_tokens:
            metrics.tokens.inc((metrics.model(served), "output"), usage.output_tokens)
            cost = self.prices.cost(served, usage)
            if cost:
                metrics.cost.inc((metrics.model(served),), cost)
        if capture_on:
            capture_primary(
                status,
                captured,
                elapsed,
                error,
                is_stream=is_stream,
                route_detail=None if len(attempts) > 1 or decision.reason != "direct" else _DIRECT,
                ttft=ttft,
                truncated=truncated,
                usage=usage,
                cost=cost if status < 400 else None,
            )
        shadow = decision.shadow
        if shadow is not None and status < 400 and not self.draining:
            for shadow_model in shadow.models:
                if random.random() < shadow.rate:
                    self._spawn_shadow(
                        path,
                        upstream_path,
                        body,
                        request,
                        model,
                        shadow_model,
                        exchange_id,
                        key_info,
                    )

    def _offer(self, exchange: tuple[Any, ...]) -> None:
        sink = self.capture
        if sink is None:
            return
        self.metrics.captures_offered.value += 1
        if not sink.offer(exchange):
            self.metrics.captures_dropped.inc()

    def _capture_simple(
        self,
        path: str,
        model: str,
        request: Any,
        status: int,
        decision: Decision,
        started: float,
        key_info: KeyInfo | None,
        error: str,
    ) -> None:
        if self.capture is None:
            return
        self._offer(
            Exchange(
                id=new_id(),
                endpoint=path,
                requested_model=model,
                request=request,
                served_model=None,
                upstream=None,
                platform=None,
                route="block",
                route_detail={"reason": "block"},
                status=status,
                stream=False,
                response_body=b"",
                latency_ms=(time.perf_counter() - started) * 1000,
                ttft_ms=None,
                error=error,
                key_id=key_info.id if key_info else None,
                arrived=time.time() - (time.perf_counter() - started),
            )
        )

    # -- shadow -----------------------------------------------------------------------------------
    def _spawn_shadow(
        self,
        path: str,
        upstream_path: str,
        body: bytes,
        request: dict[str, Any],
        model: str,
        candidate: str,
        primary_id: str,
        key_info: KeyInfo | None,
    ) -> None:
        if self._shadow_in_flight >= self.config.shadow.max_in_flight:
            self.metrics.shadow.inc((self.metrics.model(candidate), "skipped"))
            return
        self._shadow_in_flight += 1
        task = asyncio.get_event_loop().create_task(
            self._shadow(path, upstream_path, body, request, model, candidate, primary_id, key_info)
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _shadow(
        self,
        path: str,
        upstream_path: str,
        body: bytes,
        request: dict[str, Any],
        model: str,
        candidate: str,
        primary_id: str,
        key_info: KeyInfo | None,
    ) -> None:
        state = self.state
        started = time.perf_counter()
        status = 0
        data = b""
        error: str | None = None
        upstream_name = None
        kind = None
        ttft = None
        try:
            hop = state.router._hop(candidate)
            if hop is None:
                error = f"no upstream serves {candidate!r}"
                return
            upstream_name, kind = hop.upstream.name, hop.upstream.kind
            pool = state.pool(hop.upstream)
            headers = state.auth_headers(hop.upstream)
            if hop.upstream.kind == "anthropic":
                headers = [*headers, (b"anthropic-version", b"2023-06-01")]
            response = await pool.request(
                b"POST",
                _upstream_path(hop.upstream, upstream_path, candidate),
                headers,
                _swap_model(body, request, candidate),
            )
            ttft = time.perf_counter() - started
            status = response.status
            data = await response.read()
        except (UpstreamTimeout, UpstreamConnectError, UpstreamProtocolError) as exc:
            error = f"{type(exc).__name__}"
        except Exception as exc:  # never let a shadow disturb anything
            error = f"{type(exc).__name__}: {exc}"
            log.exception("shadow request failed")
        finally:
            self._shadow_in_flight -= 1
            outcome = "ok" if error is None and 0 < status < 400 else "error"
            self.metrics.shadow.inc((self.metrics.model(candidate), outcome))
            if self.capture is not None:
                self._offer(
                    Exchange(
                        id=new_id(),
                        endpoint=path,
                        requested_model=model,
                        request=None,  # the body's bytes are sent instead
                        request_body=body,
                        served_model=candidate,
                        upstream=upstream_name,
                        platform=kind,
                        route="shadow",
                        route_detail={"reason": "shadow", "primary": primary_id},
                        status=status,
                        stream=data.startswith(b"data:") or data.startswith(b"event:"),
                        response_body=data,
                        latency_ms=(time.perf_counter() - started) * 1000,
                        ttft_ms=ttft * 1000 if ttft is not None else None,
                        error=error,
                        key_id=key_info.id if key_info else None,
                        shadow_of=primary_id,
                        arrived=time.time() - (time.perf_counter() - started),
                    )
                )

    # -- small endpoints --------------------------------------------------------------------------
    async def _models(self, scope: Scope, receive: Receive, send: Send) -> None:
        data = [self._model_doc(model) for model in self.model_ids()]
        await _send_json(send, 200, {"object": "list", "data": data})

    def model_ids(self) -> list[str]:
        config = self.config
        ids: list[str] = []
        for name, route in config.routes.items():
            ids.append(name)
            for extra in (
                route.alias,
                route.replacement,
                route.canary.model if route.canary else None,
            ):
                if extra:
                    ids.append(extra)
            ids.extend(t.model for t in route.fallbacks)
        for upstream in config.upstreams:
            ids.extend(p for p in upstream.models if not any(c in p for c in "*?["))
        return list(dict.fromkeys(ids))

    def _model_doc(self, model: str) -> dict[str, Any]:
        state = self.state
        life = state.router.lifecycle(model)
        route = state.config.routes.get(model)
        today = self._date()
        doc: dict[str, Any] = {
            "id": model,
            "object": "model",
            "created": 0,
            "owned_by": "recast",
            "lifecycle": {
                "state": life.state_on(today),
                "deprecated_on": life.deprecated_on.isoformat() if life.deprecated_on else None,
                "shutdown_on": life.shutdown_on.isoformat() if life.shutdown_on else None,
                "days_left": life.days_left(today),
                "replacement": life.replacement,
                "policy": route.policy if route else "warn",
            },
            "shutdown_date": life.shutdown_on.isoformat() if life.shutdown_on else None,
        }
        if route and route.alias:
            doc["alias_of"] = route.alias
        return doc

    async def _model(self, scope: Scope, send: Send, model: str) -> None:
        if model not in self.model_ids() and self.config.upstream_for(model) is None:
            await _send_error(
                send,
                404,
                f"The model {model!r} does not exist on this gateway.",
                "invalid_request_error",
                "model_not_found",
                False,
            )
            return
        await _send_json(send, 200, self._model_doc(model))

    async def _healthz(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_json(send, 200, {"status": "ok"})

    async def _readyz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ready and not self.draining:
            await _send_json(send, 200, {"status": "ready"})
        else:
            await _send_json(send, 503, {"status": "draining"})

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self.metrics.render().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/plain; version=0.0.4; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _ui(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ui is None:
            await _send_error(
                send,
                404,
                "The dashboard is not enabled.",
                "invalid_request_error",
                "not_found",
                False,
            )
            return
        body = await self.ui(self)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------------------------
# helpers


async def _read_body(receive: Receive, headers: list[tuple[bytes, bytes]], limit: int) -> bytes:
    for name, value in headers:
        if name == b"content-length":
            try:
                if int(value) > limit:
                    raise _Reject(
                        413,
                        f"Request body of {int(value)} bytes exceeds the "
                        f"gateway's limit of {limit} bytes.",
                        "invalid_request_error",
                        "request_too_large",
                    )
            except ValueError:
                raise _Reject(
                    400,
                    "Invalid Content-Length header.",
                    "invalid_request_error",
                    "invalid_request",
                ) from None
            break
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body  # type: ignore[no-any-return]
    parts = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Reject(
                400,
                "Client disconnected while sending the body.",
                "invalid_request_error",
                "client_disconnected",
            )
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Reject(
                413,
                f"Request body exceeds the gateway's limit of {limit} bytes.",
                "invalid_request_error",
                "request_too_large",
            )
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


def _parse_request(body: bytes) -> tuple[dict[str, Any], str, bool]:
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Reject(
            400,
            f"The request body is not valid JSON ({exc}).",
            "invalid_request_error",
            "invalid_json",
        ) from None
    if not isinstance(request, dict):
        raise _Reject(
            400,
            f"The request body must be a JSON object, not {type(request).__name__}.",
            "invalid_request_error",
            "invalid_type",
        )
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise _Reject(
            400,
            f"'model' must be a non-empty string, got {model!r}.",
            "invalid_request_error",
            "invalid_type",
        )
    stream = request.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _Reject(
            400,
            f"'stream' must be a boolean, got {stream!r}.",
            "invalid_request_error",
            "invalid_type",
        )
    return request, model, stream


def _sticky_key(headers: list[tuple[bytes, bytes]], request: dict[str, Any]) -> str | None:
    for name, value in headers:
        if name == b"x-recast-session" or name == b"x-session-id":
            return value.decode("latin-1")
    user = request.get("user") or request.get("safety_identifier")
    if isinstance(user, str) and user:
        return user
    metadata = request.get("metadata")
    if isinstance(metadata, dict):
        uid = metadata.get("user_id")
        if isinstance(uid, str) and uid:
            return uid
    return None


def _swap_model(body: bytes, request: dict[str, Any], model: str) -> bytes:
    """Return ``body`` with the top-level ``model`` value replaced, all other bytes as sent."""
    matches = list(_MODEL_FIELD.finditer(body))
    if len(matches) == 1:
        match = matches[0]
        return body[: match.start(1)] + json.dumps(model)[1:-1].encode() + body[match.end(1) :]
    changed = dict(request)
    changed["model"] = model
    return json.dumps(changed, ensure_ascii=False).encode()


def _upstream_path(upstream: UpstreamConfig, upstream_path: str, model: str) -> str:
    if upstream.kind == "azure":
        version = upstream.api_version or "2024-10-21"
        return f"/openai/deployments/{model}{upstream_path}?api-version={version}"
    return upstream_path


def _response_headers(
    upstream_headers: list[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    out = [(n, v) for n, v in upstream_headers if n in PASS_RESPONSE_HEADERS]
    out.extend(extra)
    return out


def _clean(text: str, upstream: UpstreamConfig) -> str:
    """An error text without the upstream's address."""
    pool_host = upstream.base_url.split("//", 1)[-1].split("/", 1)[0]
    host = pool_host.rsplit(":", 1)[0]
    return text.replace(pool_host, upstream.name).replace(host, upstream.name)


def _stream_complete(tail: bytes) -> bool:
    """Whether a relayed stream's last event was sent (OpenAI ``[DONE]``, Anthropic stop).

    A client (the ``openai`` SDK) closes its connection as soon as it reads that event,
    often before the upstream's end of body arrives; that exchange is whole, not cut off.
    """
    end = tail.rstrip()
    return end.endswith(b"data: [DONE]") or b"event: message_stop" in end[-400:]


async def _watch_disconnect(receive: Receive, response: UpstreamResponse) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if response._released:
                return
            response._conn.abort()
            response._error(UpstreamProtocolError("client disconnected"))
            return


async def _send_json(send: Send, status: int, document: Any) -> None:
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [_JSON_CT, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_error(
    send: Send,
    status: int,
    message: str,
    etype: str,
    code: str | None,
    anthropic: bool,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = error_body(status, message, etype, code, anthropic)
    headers = [_JSON_CT, (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
