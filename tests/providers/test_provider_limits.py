"""Limits: token buckets on virtual time; retries, pauses and concurrency against a real server."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest

from providers.fakes import Fail, FakeLLMServer, Hang, Reply
from recast.errors import ProviderError, ProviderRejected, ProviderUnavailable, RateLimited
from recast.providers import (
    ChatMessage,
    ChatRequest,
    ChatResponse,
    LimitedProvider,
    Limits,
    OpenAICompatProvider,
    TokenBucket,
    backoff_delay,
    estimate_tokens,
)


class VirtualTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def _request(text: str = "hi", max_tokens: int | None = None) -> ChatRequest:
    return ChatRequest(model="m", messages=[ChatMessage("user", text)], max_tokens=max_tokens)


def _limited(server: FakeLLMServer, http: httpx.AsyncClient, **limits: object) -> LimitedProvider:
    inner = OpenAICompatProvider(http, base_url=server.openai_url)
    settings: dict[str, object] = {"backoff_base": 0.01, "backoff_max": 5.0}
    settings.update(limits)
    return LimitedProvider(inner, Limits(**settings))  # type: ignore[arg-type]


# -- token buckets (virtual time) --------------------------------------------------------------


async def test_rpm_bucket_spaces_requests_evenly() -> None:
    time = VirtualTime()
    bucket = TokenBucket(60, clock=time.clock, sleep=time.sleep)  # 1 per second, burst 1
    stamps = []
    for _ in range(10):
        await bucket.acquire()
        stamps.append(time.now)
    assert stamps[0] == 0.0
    assert stamps[-1] == pytest.approx(9.0)
    assert all(b - a == pytest.approx(1.0) for a, b in itertools.pairwise(stamps))


async def test_tpm_bucket_goes_into_debt_for_big_requests() -> None:
    time = VirtualTime()
    bucket = TokenBucket(600, clock=time.clock, sleep=time.sleep)  # 10 tokens/s, burst 10
    await bucket.acquire(50)  # a full bucket is enough to start; 40 tokens of debt remain
    assert time.now == 0.0
    await bucket.acquire(1)
    assert time.now == pytest.approx(4.1)  # 41 tokens at 10/s
    bucket.adjust(-5)  # the request used 5 tokens fewer than estimated
    assert bucket.available == pytest.approx(5.0)


async def test_rpm_holds_over_a_long_run_with_concurrent_callers() -> None:
    time = VirtualTime()
    bucket = TokenBucket(120, clock=time.clock, sleep=time.sleep)  # 2/s, burst 2
    stamps: list[float] = []

    async def one() -> None:
        await bucket.acquire()
        stamps.append(time.now)

    await asyncio.gather(*(one() for _ in range(40)))
    # Any window of 1 s holds at most burst + rate * 1 = 4 acquisitions.
    for start in stamps:
        assert sum(1 for s in stamps if start <= s < start + 1.0) <= 4
    assert max(stamps) == pytest.approx((40 - 2) / 2)


def test_backoff_honours_retry_after_and_caps() -> None:
    limits = Limits(backoff_base=1.0, backoff_max=10.0)
    limited = RateLimited("x", retry_after=7)
    assert backoff_delay(1, limited, limits) == 7
    assert backoff_delay(1, RateLimited("x", retry_after=500), limits) == 10
    unavailable = ProviderUnavailable("x")
    assert backoff_delay(1, unavailable, limits, rand=lambda: 1.0) == 1.0
    assert backoff_delay(3, unavailable, limits, rand=lambda: 1.0) == 4.0
    assert backoff_delay(30, unavailable, limits, rand=lambda: 1.0) == 10.0
    assert backoff_delay(3, unavailable, limits, rand=lambda: 0.5) == 2.0


def test_limits_validate_and_estimate() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        Limits(concurrency=0)
    with pytest.raises(ValueError, match="rpm"):
        Limits(rpm=0)
    assert estimate_tokens(_request("x" * 400, max_tokens=100)) > 200


# -- against the fake server -------------------------------------------------------------------


async def test_429_retry_after_is_honoured(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Fail(429, headers={"retry-after": "1"}), Reply("finally"))
    seen: list[tuple[int, str, float]] = []
    provider = _limited(fake_llm, http)
    provider.on_retry = lambda attempt, error, delay: seen.append(
        (attempt, type(error).__name__, delay)
    )
    response = await provider.complete(_request())
    assert response.text == "finally"
    assert seen == [(1, "RateLimited", 1.0)]
    first, second = fake_llm.requests
    assert second.at - first.at >= 0.95


async def test_a_429_pauses_every_caller(fake_llm: FakeLLMServer, http: httpx.AsyncClient) -> None:
    fake_llm.script(Fail(429, headers={"retry-after": "1"}))
    provider = _limited(fake_llm, http, concurrency=4)
    first = asyncio.create_task(provider.complete(_request("a")))
    while fake_llm.completed < 1:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    others = [provider.complete(_request(t)) for t in "bcd"]
    await asyncio.gather(first, *others)
    start = fake_llm.requests[0].at
    assert fake_llm.request_count == 5
    assert all(r.at - start >= 0.95 for r in fake_llm.requests[1:])


async def test_5xx_is_retried_until_success(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Fail(503), Fail(500), Reply("ok"))
    provider = _limited(fake_llm, http)
    assert (await provider.complete(_request())).text == "ok"
    assert fake_llm.request_count == 3
    assert provider.retries == 2


async def test_retries_stop_after_max_attempts(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Fail(502), Fail(502), Fail(502), Reply("too late"))
    provider = _limited(fake_llm, http, max_attempts=3)
    with pytest.raises(ProviderUnavailable, match="HTTP 502"):
        await provider.complete(_request())
    assert fake_llm.request_count == 3


async def test_rejections_are_not_retried(fake_llm: FakeLLMServer, http: httpx.AsyncClient) -> None:
    fake_llm.script(Fail(400), Reply("never"))
    with pytest.raises(ProviderRejected):
        await _limited(fake_llm, http).complete(_request())
    assert fake_llm.request_count == 1


async def test_attempt_timeout_is_unavailable_then_retried(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Hang(5.0), Reply("second try"))
    errors: list[ProviderError] = []
    provider = _limited(fake_llm, http, timeout=0.3)
    provider.on_retry = lambda attempt, error, delay: errors.append(error)
    assert (await provider.complete(_request())).text == "second try"
    assert len(errors) == 1 and isinstance(errors[0], ProviderUnavailable)
    assert "did not answer within 0.3s" in str(errors[0])


async def test_concurrency_is_respected_and_saturated(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.default = Reply("slow", latency=0.2)
    provider = _limited(fake_llm, http, concurrency=4)
    await asyncio.gather(*(provider.complete(_request(str(i))) for i in range(16)))
    assert fake_llm.request_count == 16
    assert fake_llm.max_in_flight == 4
    assert provider.max_in_flight == 4


class Stamped:
    """Records when each call leaves the limiter (the moment it would go on the wire)."""

    def __init__(self, inner: OpenAICompatProvider) -> None:
        self.inner = inner
        self.name, self.platform, self.identity = inner.name, inner.platform, inner.identity
        self.stamps: list[float] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.stamps.append(time.monotonic())
        return await self.inner.complete(request)


async def test_rpm_limit_is_kept_on_the_wire(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    stamped = Stamped(OpenAICompatProvider(http, base_url=fake_llm.openai_url))
    provider = LimitedProvider(stamped, Limits(concurrency=50, rpm=1200))  # 20/s, burst 20
    await asyncio.gather(*(provider.complete(_request(str(i))) for i in range(50)))
    assert fake_llm.request_count == 50
    stamps = sorted(stamped.stamps)
    # Never more than burst + one second's rate in any one-second window ...
    for start in stamps:
        assert sum(1 for s in stamps if start <= s < start + 1.0) <= 41
    # ... so 50 requests need about (50 - 20) / 20 = 1.5 s (less what refills while the
    # first burst is being sent); unlimited, they would all leave within milliseconds.
    assert stamps[-1] - stamps[0] >= 1.2
