"""Client-side limits: concurrency, requests and tokens per minute, retries with backoff.

:class:`LimitedProvider` wraps any provider. Each call takes a concurrency slot, then
a request token and an estimate of its tokens from the buckets, then calls the inner
provider. Retryable failures (:class:`ProviderUnavailable`, :class:`RateLimited`) are
retried with exponential backoff and full jitter, capped; a ``Retry-After`` is honoured
exactly and pauses *every* call to that provider until it has passed, so a burst of
429s does not turn into a burst of retries. The slot is released while waiting, so the
other calls keep the configured concurrency busy.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from recast.errors import ProviderError, ProviderUnavailable, RateLimited
from recast.providers._types import ChatRequest, ChatResponse, Provider, ProviderWrapper

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
#: Called before each retry with (attempt number that failed, the error, seconds to wait).
RetryHook = Callable[[int, ProviderError, float], None]


@dataclass(frozen=True)
class Limits:
    """How hard recast may push one provider.

    ``concurrency``: calls in flight at once. ``rpm`` / ``tpm``: requests and tokens
    per minute (``None``: unlimited). ``max_attempts``: tries per call, first included.
    ``backoff_base`` / ``backoff_max``: seconds; the wait before retry *n* is uniform in
    ``[0, min(backoff_max, backoff_base * 2**n)]`` unless the provider said how long.
    ``timeout``: seconds per attempt (``None``: the HTTP client's own timeout only).
    """

    concurrency: int = 8
    rpm: float | None = None
    tpm: float | None = None
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 60.0
    timeout: float | None = 120.0

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency!r}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts!r}")
        for field in ("rpm", "tpm"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                raise ValueError(f"{field} must be positive, got {value!r}")


class TokenBucket:
    """A token bucket refilled at ``per_minute / 60`` tokens per second.

    It holds at most ``burst`` tokens (default: one second's worth, at least one), so
    the rate is smooth rather than a minute's quota at once. A request for more tokens
    than the burst waits for a full bucket and leaves it in debt; later callers wait
    the debt off, so the long-run rate holds. Waiters are served in arrival order.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError(f"per_minute must be positive, got {per_minute!r}")
        self.rate = per_minute / 60.0
        self.capacity = burst if burst is not None else max(1.0, self.rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    @property
    def available(self) -> float:
        """Tokens available now (negative while in debt)."""
        self._refill()
        return self._tokens

    async def acquire(self, amount: float = 1.0) -> None:
        """Wait until ``amount`` tokens (capped at the burst) are available, then take them."""
        async with self._lock:
            needed = min(amount, self.capacity)
            while True:
                self._refill()
                if self._tokens >= needed:
                    self._tokens -= amount
                    return
                await self._sleep((needed - self._tokens) / self.rate)

    def adjust(self, amount: float) -> None:
        """Take ``amount`` more tokens (give back when negative), e.g. after real usage is known."""
        self._refill()
        self._tokens = min(self.capacity, self._tokens - amount)


def estimate_tokens(request: ChatRequest) -> int:
    """Estimate a request's token cost for a TPM budget: prompt chars / 4 plus max_tokens."""
    chars = sum(len(m.text) + len(m.role) + 4 for m in request.messages)
    for tool in request.tools or ():
        chars += len(str(tool))
    return math.ceil(chars / 4) + (request.max_tokens or 0)


def backoff_delay(
    attempt: int, error: ProviderError, limits: Limits, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based).

    A provider-given ``retry_after`` is used as it is (capped at ``backoff_max``);
    otherwise exponential backoff with full jitter.
    """
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return min(max(error.retry_after, 0.0), limits.backoff_max)
    ceiling = min(limits.backoff_max, limits.backoff_base * (2.0 ** (attempt - 1)))
    return rand() * ceiling


class LimitedProvider(ProviderWrapper):
    """Wrap a provider with :class:`Limits`: concurrency, RPM/TPM buckets, retries, timeouts.

    ``clock`` and ``sleep`` exist so tests can run on virtual time. The semaphore and
    buckets belong to the event loop that first uses them: use one instance per loop.
    """

    def __init__(
        self,
        inner: Provider,
        limits: Limits | None = None,
        *,
        on_retry: RetryHook | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(inner)
        self.limits = limits or Limits()
        self.on_retry = on_retry
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._slots = asyncio.Semaphore(self.limits.concurrency)
        self._rpm = (
            TokenBucket(self.limits.rpm, clock=clock, sleep=sleep) if self.limits.rpm else None
        )
        self._tpm = (
            TokenBucket(self.limits.tpm, clock=clock, sleep=sleep) if self.limits.tpm else None
        )
        self._paused_until = 0.0
        #: Counters for progress displays and tests.
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls = 0
        self.retries = 0

    def __repr__(self) -> str:
        return f"LimitedProvider({self.inner!r}, {self.limits!r})"

    async def _wait_for_pause(self) -> None:
        while True:
            remaining = self._paused_until - self._clock()
            if remaining <= 0:
                return
            await self._sleep(remaining)

    async def _attempt(self, request: ChatRequest, estimate: int) -> ChatResponse:
        async with self._slots:
            await self._wait_for_pause()
            if self._rpm is not None:
                await self._rpm.acquire(1)
            if self._tpm is not None:
                await self._tpm.acquire(estimate)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.calls += 1
            try:
                if self.limits.timeout is None:
                    response = await self.inner.complete(request)
                else:
                    try:
                        response = await asyncio.wait_for(
                            self.inner.complete(request), self.limits.timeout
                        )
                    except asyncio.TimeoutError as exc:
                        raise ProviderUnavailable(
                            f"{self.inner.name} did not answer within {self.limits.timeout:g}s. "
                            "Raise the timeout or lower the concurrency.",
                            platform=self.inner.platform,
                            model=request.model,
                        ) from exc
            finally:
                self.in_flight -= 1
        if self._tpm is not None and response.usage is not None:
            self._tpm.adjust(response.usage.total_tokens - estimate)
        return response

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Call the inner provider within the limits, retrying retryable failures.

        Raise the last error once ``max_attempts`` tries have failed; non-retryable
        errors (:class:`ProviderRejected`, :class:`MissingKeyError`) are raised at once.
        """
        estimate = estimate_tokens(request)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(request, estimate)
            except (ProviderUnavailable, RateLimited) as error:
                if attempt >= self.limits.max_attempts:
                    raise
                delay = backoff_delay(attempt, error, self.limits, self._rand)
                if isinstance(error, RateLimited):
                    self._paused_until = max(self._paused_until, self._clock() + delay)
                self.retries += 1
                if self.on_retry is not None:
                    self.on_retry(attempt, error, delay)
                await self._sleep(delay)
