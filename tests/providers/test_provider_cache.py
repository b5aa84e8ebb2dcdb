"""The response cache: hits skip the provider, keys depend on everything that matters."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest

from providers.fakes import FakeLLMServer, Reply
from recast.errors import ProviderUnavailable
from recast.providers import (
    CachedProvider,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    Limits,
    OpenAICompatProvider,
    ReplayProvider,
    ResponseCache,
    build_provider,
    cache_key,
    default_cache_path,
)


def _request(text: str = "hi", **kwargs: object) -> ChatRequest:
    fields: dict[str, object] = {"model": "m", "messages": [ChatMessage("user", text)]}
    fields.update(kwargs)
    return ChatRequest(**fields)  # type: ignore[arg-type]


async def test_rerun_is_served_from_the_cache(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, recast_home: Path
) -> None:
    fake_llm.script(Reply("first answer", usage=(10, 3, 0)))
    provider = build_provider(
        f"openai-compatible:{fake_llm.openai_url}#m", http, cache=ResponseCache(), limits=Limits()
    )
    live = await provider.complete(_request(case_id="c1"))
    again = await provider.complete(_request(case_id="c2"))  # case ids do not change the answer
    assert fake_llm.request_count == 1
    assert live.text == again.text == "first answer"
    assert not live.cached and again.cached and not again.billed
    assert again.usage == live.usage and again.latency_ms == live.latency_ms
    assert default_cache_path() == recast_home / "cache" / "responses.sqlite3"
    assert default_cache_path().exists()

    # A new process (new cache object) still hits.
    fresh = build_provider(
        f"openai-compatible:{fake_llm.openai_url}#m", http, cache=ResponseCache()
    )
    assert (await fresh.complete(_request())).cached
    assert fake_llm.request_count == 1


async def test_anything_that_changes_the_answer_misses(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite3")
    inner = OpenAICompatProvider(http, base_url=fake_llm.openai_url, model="m")
    provider = CachedProvider(inner, cache)
    variants = [
        _request(),
        _request("hi "),
        _request(temperature=0.5),
        _request(max_tokens=10),
        _request(extra={"reasoning_effort": "low"}),
        _request(messages=[ChatMessage("system", "x"), ChatMessage("user", "hi")]),
    ]
    for request in variants:
        assert not (await provider.complete(request)).cached
    assert fake_llm.request_count == len(variants)
    for request in variants:
        assert (await provider.complete(request)).cached
    assert fake_llm.request_count == len(variants)
    other_model = CachedProvider(
        OpenAICompatProvider(http, base_url=fake_llm.openai_url, model="m2"), cache
    )
    assert not (await other_model.complete(_request())).cached
    assert cache.hits == len(variants) and len(cache) == len(variants) + 1


def test_canonical_json_is_order_independent() -> None:
    a = ChatRequest.from_openai(
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0, "n": 1}
    )
    b = ChatRequest.from_openai(
        {"n": 1, "temperature": 0, "messages": [{"content": "x", "role": "user"}], "model": "m"}
    )
    assert a.canonical_json() == b.canonical_json()
    assert cache_key("p", a) == cache_key("p", b) != cache_key("q", a)


async def test_failures_are_not_cached(tmp_path: Path) -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(503, json={"error": {"message": "busy"}})
        return httpx.Response(200, json={"model": "m", "choices": [{"message": {"content": "ok"}}]})

    cache = ResponseCache(tmp_path / "c.sqlite3")
    async with httpx.AsyncClient(transport=httpx.MockTransport(flaky)) as http:
        provider = CachedProvider(OpenAICompatProvider(http, base_url="http://u.test/v1"), cache)
        with pytest.raises(ProviderUnavailable):
            await provider.complete(_request())
        assert len(cache) == 0
        assert (await provider.complete(_request())).text == "ok"
        assert (await provider.complete(_request())).cached
    assert calls == 2


async def test_replayed_answers_are_not_cached(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite3")
    provider = CachedProvider(ReplayProvider({"hi": ChatResponse(text="yo")}), cache)
    response = await provider.complete(_request())
    assert response.replayed and not response.cached
    assert len(cache) == 0


async def test_corrupt_entry_is_a_miss(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    path = tmp_path / "c.sqlite3"
    cache = ResponseCache(path)
    provider = CachedProvider(OpenAICompatProvider(http, base_url=fake_llm.openai_url), cache)
    await provider.complete(_request())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE responses SET response_json = '{broken'")
    response = await provider.complete(_request())
    assert not response.cached and fake_llm.request_count == 2
    assert (await provider.complete(_request())).cached
    assert cache.clear() == 1


async def test_identical_requests_in_flight_share_one_call(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    fake_llm.default = Reply("shared", latency=0.3)
    cache = ResponseCache(tmp_path / "c.sqlite3")
    provider = CachedProvider(OpenAICompatProvider(http, base_url=fake_llm.openai_url), cache)
    results = await asyncio.gather(*(provider.complete(_request()) for _ in range(5)))
    assert fake_llm.request_count == 1
    assert [r.text for r in results] == ["shared"] * 5
    assert sum(not r.cached for r in results) == 1


async def test_a_shared_failure_reaches_every_waiter(tmp_path: Path) -> None:
    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": {"message": "busy"}})

    cache = ResponseCache(tmp_path / "c.sqlite3")
    async with httpx.AsyncClient(transport=httpx.MockTransport(busy)) as http:
        provider = CachedProvider(OpenAICompatProvider(http, base_url="http://u.test/v1"), cache)
        outcomes = await asyncio.gather(
            *(provider.complete(_request()) for _ in range(3)), return_exceptions=True
        )
    assert all(isinstance(o, ProviderUnavailable) for o in outcomes)
    assert len(cache) == 0


async def test_waiters_call_themselves_when_the_first_caller_is_cancelled(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    fake_llm.default = Reply("late", latency=0.3)
    provider = CachedProvider(
        OpenAICompatProvider(http, base_url=fake_llm.openai_url), ResponseCache(tmp_path / "c.db")
    )
    first = asyncio.create_task(provider.complete(_request()))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(provider.complete(_request()))
    await asyncio.sleep(0.05)
    first.cancel()
    assert (await second).text == "late"
    assert first.cancelled()
