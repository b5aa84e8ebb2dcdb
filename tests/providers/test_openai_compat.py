"""OpenAI Chat Completions against a real loopback server: wire format and error mapping."""

from __future__ import annotations

import json

import httpx
import pytest

from providers.fakes import Drop, Fail, FakeLLMServer, Hang, Malformed, Reply, ToolUse
from recast.errors import MissingKeyError, ProviderRejected, ProviderUnavailable, RateLimited
from recast.providers import (
    ChatMessage,
    ChatRequest,
    OpenAICompatProvider,
    Secret,
    ToolCall,
    build_provider,
    is_reasoning_model,
)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def _request(**kwargs: object) -> ChatRequest:
    base: dict[str, object] = {
        "model": "gpt-4.1",
        "messages": [ChatMessage("system", "Be brief."), ChatMessage("user", "Weather in Oslo?")],
    }
    base.update(kwargs)
    return ChatRequest(**base)  # type: ignore[arg-type]


def _provider(
    server: FakeLLMServer, http: httpx.AsyncClient, **kwargs: object
) -> OpenAICompatProvider:
    return OpenAICompatProvider(
        http,
        base_url=server.openai_url,
        platform="openai",
        key=Secret("sk-test-123"),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_round_trip_with_tool_calls_and_usage(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(
        Reply(
            text="",
            tool_calls=(ToolUse("get_weather", {"city": "Oslo"}, id="call_7"),),
            usage=(120, 15, 100),
            model="gpt-4.1-2025-04-14",
        )
    )
    request = _request(tools=[WEATHER_TOOL], tool_choice="auto", temperature=0.0, seed=7)
    response = await _provider(fake_llm, http).complete(request)

    assert response.tool_calls == (ToolCall("call_7", "get_weather", '{"city": "Oslo"}'),)
    assert response.tool_calls[0].arguments_json() == {"city": "Oslo"}
    assert response.finish_reason == "tool_calls"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (120, 15)
    assert response.usage.cached_tokens == 100
    assert response.model == "gpt-4.1-2025-04-14"
    assert response.latency_ms is not None and response.latency_ms > 0
    assert response.billed and not response.cached

    sent = fake_llm.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test-123"
    assert sent.body["tools"] == [WEATHER_TOOL]
    assert sent.body["tool_choice"] == "auto"
    assert sent.body["temperature"] == 0.0
    assert sent.body["seed"] == 7
    assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_tool_result_conversation_is_sent_back_verbatim(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    call = ToolCall("call_1", "get_weather", '{"city":"Oslo"}')
    request = _request(
        messages=[
            ChatMessage("user", "Weather in Oslo?"),
            ChatMessage("assistant", None, tool_calls=(call,)),
            ChatMessage("tool", '{"temp": 3}', tool_call_id="call_1"),
        ],
        tools=[WEATHER_TOOL],
        response_format={"type": "json_object"},
        extra={"logprobs": True, "n": 1},
    )
    response = await _provider(fake_llm, http).complete(request)
    assert response.text.startswith("echo:")
    body = fake_llm.requests[0].body
    assert body["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"city":"Oslo"}'
    assert body["messages"][2] == {
        "role": "tool",
        "content": '{"temp": 3}',
        "tool_call_id": "call_1",
    }
    assert body["response_format"] == {"type": "json_object"}
    assert body["logprobs"] is True and body["n"] == 1


async def test_refusal_field_is_kept(fake_llm: FakeLLMServer, http: httpx.AsyncClient) -> None:
    fake_llm.script(Reply(text="", refusal="I can't help with that."))
    response = await _provider(fake_llm, http).complete(_request())
    assert response.refusal == "I can't help with that."


async def test_provider_model_overrides_the_request(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    await _provider(fake_llm, http, model="gpt-4o-mini").complete(_request(model="gpt-4"))
    assert fake_llm.requests[0].body["model"] == "gpt-4o-mini"


async def test_reasoning_models_get_max_completion_tokens(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    provider = _provider(fake_llm, http)
    await provider.complete(_request(model="o3-mini", max_tokens=50, temperature=0.2))
    await provider.complete(_request(model="gpt-4.1", max_tokens=50, temperature=0.2))
    reasoning, plain = (r.body for r in fake_llm.requests)
    assert reasoning["max_completion_tokens"] == 50 and "max_tokens" not in reasoning
    assert "temperature" not in reasoning
    assert plain["max_tokens"] == 50 and plain["temperature"] == 0.2
    assert is_reasoning_model("openai/o1-preview") and is_reasoning_model("gpt-5-mini")
    assert not is_reasoning_model("gpt-4o") and not is_reasoning_model("gpt-4.1")


async def test_local_servers_keep_max_tokens_for_any_model(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    provider = OpenAICompatProvider(http, base_url=fake_llm.openai_url)
    await provider.complete(_request(model="o3-mini", max_tokens=50))
    body = fake_llm.requests[0].body
    assert body["max_tokens"] == 50
    assert "authorization" not in fake_llm.requests[0].headers


async def test_azure_deployment_path_and_api_key_header(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key-1")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", fake_llm.url)
    provider = build_provider("azure-openai:my-gpt4o", http)
    response = await provider.complete(_request(model="ignored"))
    assert response.text == "echo: Weather in Oslo?"
    sent = fake_llm.requests[0]
    assert sent.path == "/openai/deployments/my-gpt4o/chat/completions"
    assert sent.query == "api-version=2024-10-21"
    assert sent.headers["api-key"] == "azure-key-1"
    assert "authorization" not in sent.headers


async def test_openai_base_url_override_from_env(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_url)
    provider = build_provider("openai:gpt-4.1", http)
    assert provider.name == "gpt-4.1" and provider.platform == "openai"
    await provider.complete(_request(model=""))
    assert fake_llm.requests[0].body["model"] == "gpt-4.1"
    assert fake_llm.requests[0].headers["authorization"] == "Bearer sk-env"


async def test_openai_compatible_spec_reaches_the_server(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = build_provider(f"local=openai-compatible:{fake_llm.openai_url}#qwen2.5", http)
    response = await provider.complete(_request(model=""))
    assert provider.name == "local"
    assert response.text == "echo: Weather in Oslo?"
    assert fake_llm.requests[0].body["model"] == "qwen2.5"
    assert "authorization" not in fake_llm.requests[0].headers  # the key is optional

    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", "local-key")
    keyed = build_provider(f"openai-compatible:{fake_llm.openai_url}#qwen2.5", http)
    await keyed.complete(_request(model=""))
    assert fake_llm.requests[1].headers["authorization"] == "Bearer local-key"


# -- errors ------------------------------------------------------------------------------------


async def test_429_becomes_rate_limited_with_retry_after(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Fail(429, headers={"retry-after": "7"}))
    with pytest.raises(RateLimited) as err:
        await _provider(fake_llm, http).complete(_request())
    assert err.value.retry_after == 7
    assert err.value.platform == "openai" and err.value.model == "gpt-4.1"
    assert "HTTP 429" in str(err.value)


async def test_429_reset_headers_when_no_retry_after(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(
        Fail(
            429, headers={"x-ratelimit-reset-requests": "1.5s", "x-ratelimit-reset-tokens": "6m0s"}
        )
    )
    with pytest.raises(RateLimited) as err:
        await _provider(fake_llm, http).complete(_request())
    assert err.value.retry_after == 360


async def test_insufficient_quota_is_not_retryable(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(
        Fail(
            429,
            body={"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}},
        )
    )
    with pytest.raises(ProviderRejected) as err:
        await _provider(fake_llm, http).complete(_request())
    assert err.value.status == 429 and "quota" in str(err.value)


async def test_401_names_the_key_variable(fake_llm: FakeLLMServer, http: httpx.AsyncClient) -> None:
    fake_llm.script(Fail(401, body={"error": {"message": "Incorrect API key provided"}}))
    with pytest.raises(ProviderRejected) as err:
        await _provider(fake_llm, http, key_env="OPENAI_API_KEY").complete(_request())
    assert err.value.status == 401
    assert "OPENAI_API_KEY" in str(err.value)
    assert "Incorrect API key provided" in str(err.value)


async def test_401_without_a_key_is_missing_key(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Fail(401))
    provider = build_provider(f"openai-compatible:{fake_llm.openai_url}#m", http)
    with pytest.raises(
        MissingKeyError, match=r"needs an API key and none was sent.*OPENAI_COMPATIBLE_API_KEY"
    ):
        await provider.complete(_request())


async def test_other_4xx_is_rejected_with_status_and_body(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Fail(404, body={"error": {"message": "The model `gpt-9` does not exist"}}))
    with pytest.raises(ProviderRejected) as err:
        await _provider(fake_llm, http).complete(_request(model="gpt-9"))
    assert err.value.status == 404
    assert "does not exist" in err.value.body
    assert "'gpt-9'" in str(err.value)


@pytest.mark.parametrize("status", [500, 502, 503, 529])
async def test_5xx_is_unavailable(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, status: int
) -> None:
    fake_llm.script(Fail(status))
    with pytest.raises(ProviderUnavailable) as err:
        await _provider(fake_llm, http).complete(_request())
    assert f"HTTP {status}" in str(err.value)


@pytest.mark.parametrize(
    "body",
    ["{this is not json", "[1, 2]", json.dumps({"choices": []}), json.dumps({"error": "boom"})],
)
async def test_malformed_bodies_are_unavailable(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient, body: str
) -> None:
    fake_llm.script(Malformed(body))
    with pytest.raises(ProviderUnavailable, match=r"malformed"):
        await _provider(fake_llm, http).complete(_request())


async def test_timeout_is_unavailable(fake_llm: FakeLLMServer, http: httpx.AsyncClient) -> None:
    fake_llm.script(Hang(5.0))
    with pytest.raises(ProviderUnavailable, match=r"Timed out") as err:
        await _provider(fake_llm, http, timeout=0.3).complete(_request())
    assert isinstance(err.value.__cause__, httpx.TimeoutException)


async def test_connection_refused_is_unavailable(http: httpx.AsyncClient) -> None:
    with FakeLLMServer() as server:
        url = server.openai_url
    provider = OpenAICompatProvider(http, base_url=url)
    with pytest.raises(ProviderUnavailable, match=r"Could not reach 127.0.0.1") as err:
        await provider.complete(_request())
    assert isinstance(err.value.__cause__, httpx.ConnectError)


async def test_hosted_api_offline_gives_one_clear_line(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # .invalid never resolves (RFC 2606): the same failure as a machine without network.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-offline")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.invalid/v1")
    provider = build_provider("openai:gpt-4.1", http)
    with pytest.raises(ProviderUnavailable) as err:
        await provider.complete(_request())
    message = str(err.value)
    assert message.startswith("Could not reach api.openai.invalid: ")
    assert "replay candidates or a local server (see docs/providers.md)" in message
    assert "\n" not in message


async def test_mock_transport_read_error_is_unavailable() -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("server closed the connection", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(drop)) as client:
        provider = OpenAICompatProvider(client, base_url="http://upstream.test/v1")
        with pytest.raises(ProviderUnavailable, match=r"server closed the connection"):
            await provider.complete(_request())


async def test_connection_dropped_mid_response_is_unavailable(
    fake_llm: FakeLLMServer, http: httpx.AsyncClient
) -> None:
    fake_llm.script(Drop())
    with pytest.raises(ProviderUnavailable, match=r"connection to 127\.0\.0\.1:\d+ broke") as err:
        await _provider(fake_llm, http).complete(_request())
    assert isinstance(err.value.__cause__, httpx.RemoteProtocolError)
