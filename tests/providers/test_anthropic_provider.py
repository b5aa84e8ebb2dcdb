"""Anthropic Messages against a real loopback server: translation both ways."""

from __future__ import annotations

import httpx
import pytest

from providers.fakes import Fail, FakeLLMServer, Reply, ToolUse
from recast.errors import MissingKeyError, ProviderRejected, RateLimited
from recast.providers import (
    AnthropicProvider,
    ChatMessage,
    ChatRequest,
    Secret,
    ToolCall,
    build_provider,
)
from recast.providers.anthropic import to_wire

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def _provider(server: FakeLLMServer, http: httpx.AsyncClient) -> AnthropicProvider:
    return AnthropicProvider(http, key=Secret("sk-ant-test"), base_url=server.url)


async def test_round_trip_with_tool_use_and_usage(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(
        Reply(
            text="Let me check.",
            tool_calls=(ToolUse("get_weather", {"city": "Oslo"}, id="toolu_1"),),
            usage=(200, 30, 150),
            model="claude-sonnet-4-5-20250929",
        )
    )
    request = ChatRequest(
        model="claude-sonnet-4-5",
        messages=[ChatMessage("system", "Be brief."), ChatMessage("user", "Weather in Oslo?")],
        tools=[WEATHER_TOOL],
        tool_choice="required",
        max_tokens=300,
        temperature=0.0,
        stop=["END"],
    )
    response = await _provider(fake_llm, http).complete(request)

    assert response.text == "Let me check."
    assert response.tool_calls == (ToolCall("toolu_1", "get_weather", '{"city": "Oslo"}'),)
    assert response.finish_reason == "tool_calls"
    assert response.usage is not None
    assert response.usage.input_tokens == 200  # uncached 50 + cache reads 150
    assert response.usage.cached_tokens == 150
    assert response.usage.output_tokens == 30
    assert response.model == "claude-sonnet-4-5-20250929"

    sent = fake_llm.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    body = sent.body
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": "Weather in Oslo?"}]
    assert body["max_tokens"] == 300
    assert body["stop_sequences"] == ["END"]
    assert body["tool_choice"] == {"type": "any"}
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]


def test_tool_results_merge_into_one_user_turn() -> None:
    calls = (
        ToolCall("toolu_1", "get_weather", '{"city": "Oslo"}'),
        ToolCall("toolu_2", "get_weather", '{"city": "Rome"}'),
    )
    request = ChatRequest(
        model="claude",
        messages=[
            ChatMessage("user", "Oslo and Rome?"),
            ChatMessage("assistant", "Checking both.", tool_calls=calls),
            ChatMessage("tool", "3C", tool_call_id="toolu_1"),
            ChatMessage("tool", "21C", tool_call_id="toolu_2"),
            ChatMessage("developer", "Answer in Celsius."),
        ],
        seed=5,
        response_format={"type": "json_object"},
    )
    body = to_wire(request, "claude-x")
    assert body["model"] == "claude-x"
    assert body["max_tokens"] == 4096
    assert "seed" not in body
    assert body["system"].startswith("Answer in Celsius.")
    assert "JSON object" in body["system"]
    assistant, results = body["messages"][1], body["messages"][2]
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
            {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    }
    assert results["role"] == "user"
    assert [b["tool_use_id"] for b in results["content"]] == ["toolu_1", "toolu_2"]
    assert results["content"][1]["content"] == [{"type": "text", "text": "21C"}]
    assert len(body["messages"]) == 3


def test_images_and_sampling_translation() -> None:
    request = ChatRequest(
        model="claude",
        messages=[
            ChatMessage(
                "user",
                [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                ],
            )
        ],
        temperature=0.3,
        top_p=0.9,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    body = to_wire(request, "claude")
    parts = body["messages"][0]["content"]
    assert parts[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"},
    }
    assert parts[2]["source"] == {"type": "url", "url": "https://example.com/cat.jpg"}
    assert body["temperature"] == 0.3 and "top_p" not in body
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}


@pytest.mark.parametrize(
    ("finish", "expected"),
    [("stop", "stop"), ("length", "length"), ("content_filter", "content_filter")],
)
async def test_stop_reason_mapping(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, finish: str, expected: str
) -> None:
    fake_llm.script(Reply("text", finish_reason=finish))
    request = ChatRequest(model="claude", messages=[ChatMessage("user", "x")])
    response = await _provider(fake_llm, http).complete(request)
    assert response.finish_reason == expected
    assert (response.refusal is not None) == (finish == "content_filter")


async def test_errors_map_like_openai(fake_llm: FakeLLMServer, http: httpx.AsyncClient) -> None:
    request = ChatRequest(model="claude", messages=[ChatMessage("user", "x")])
    fake_llm.script(
        Fail(
            429,
            body={"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
            headers={"retry-after": "3"},
        ),
        Fail(
            400,
            body={"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
        ),
    )
    with pytest.raises(RateLimited) as limited:
        await _provider(fake_llm, http).complete(request)
    assert limited.value.retry_after == 3
    with pytest.raises(ProviderRejected) as rejected:
        await _provider(fake_llm, http).complete(request)
    assert rejected.value.status == 400 and "bad" in str(rejected.value)


async def test_spec_needs_the_key(http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingKeyError) as err:
        build_provider("anthropic:claude-sonnet-4-5", http)
    assert str(err.value).startswith("No API key for platform 'anthropic'. Set ANTHROPIC_API_KEY")


async def test_spec_with_base_url_override(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_llm.url)
    provider = build_provider("anthropic:claude-sonnet-4-5", http)
    response = await provider.complete(
        ChatRequest(model="", messages=[ChatMessage("user", "hello there")])
    )
    assert response.text == "echo: hello there"
    assert fake_llm.requests[0].body["model"] == "claude-sonnet-4-5"
    assert fake_llm.requests[0].headers["x-api-key"] == "sk-ant-env"
