"""The value objects: Chat Completions round trips and a deterministic cache key."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from recast.providers import ChatMessage, ChatRequest, ChatResponse, ToolCall, Usage

BODY = {
    "model": "gpt-4.1",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "content": "42", "tool_call_id": "c1"},
    ],
    "temperature": 0.2,
    "max_completion_tokens": 99,
    "stop": "END",
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
    "response_format": {"type": "json_object"},
    "seed": 3,
    "stream": True,
    "logit_bias": {"50256": -100},
}


def test_request_round_trip_keeps_what_matters() -> None:
    request = ChatRequest.from_openai(BODY, case_id="case-9")
    assert request.max_tokens == 99 and request.stop == ("END",)
    assert request.extra == {"logit_bias": {"50256": -100}}  # stream is transport, dropped
    assert request.messages[1].text == "Hi\nthere"
    assert request.messages[2].tool_calls == (ToolCall("c1", "f", "{}"),)
    assert request.system == "Be brief." and request.prompt == "Hi\nthere"
    again = ChatRequest.from_dict(json.loads(json.dumps(request.to_dict())))
    assert again == request
    assert again.case_id == "case-9"
    assert "case_id" not in request.canonical_json()
    assert request.cache_key() == again.with_model("gpt-4.1").cache_key()
    assert request.cache_key() != request.with_model("gpt-4o").cache_key()


def test_response_round_trip_and_openai_form() -> None:
    response = ChatResponse(
        text="hello",
        tool_calls=(ToolCall("c", "f", '{"a": 1}'),),
        finish_reason="tool_calls",
        usage=Usage(10, 2, 4),
        latency_ms=12.5,
        model="gpt-4.1-2025-04-14",
        raw={"id": "x"},
    )
    assert ChatResponse.from_dict(json.loads(json.dumps(response.to_dict()))) == response
    assert "raw" not in response.to_dict(include_raw=False)
    body = response.to_openai()
    parsed = ChatResponse.from_openai(body, latency_ms=12.5)
    assert (parsed.text, parsed.tool_calls, parsed.usage) == (
        response.text,
        response.tool_calls,
        response.usage,
    )
    assert Usage.from_dict({"prompt_tokens": 5, "completion_tokens": 1}) == Usage(5, 1, 0)


def test_flat_tool_calls_and_dict_arguments_are_accepted() -> None:
    call = ToolCall.from_dict({"id": "1", "name": "f", "arguments": {"b": 2, "a": 1}})
    assert call.arguments == '{"a": 1, "b": 2}'
    assert ChatMessage("user", {"type": "text", "text": "x"}).content == (
        {"type": "text", "text": "x"},
    )


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    extra=st.dictionaries(st.sampled_from(["n", "user", "logprobs", "top_k", "metadata"]), _json),
    temperature=st.none() | st.floats(0, 2),
    text=st.text(max_size=30),
)
def test_canonical_json_is_deterministic(
    extra: dict[str, object], temperature: float | None, text: str
) -> None:
    request = ChatRequest(
        model="m", messages=[ChatMessage("user", text)], temperature=temperature, extra=extra
    )
    shuffled = ChatRequest.from_openai(dict(reversed(list(request.to_openai().items()))))
    assert shuffled.canonical_json() == request.canonical_json()
    assert json.loads(request.canonical_json()) == request.to_openai()


def test_builtins_satisfy_the_protocol_and_sync_helper() -> None:
    import httpx

    from recast.providers import (
        AnthropicProvider,
        OpenAICompatProvider,
        Provider,
        ReplayProvider,
        Secret,
        complete_sync,
    )

    replay = ReplayProvider({"hi": ChatResponse(text="yo")})
    client = httpx.AsyncClient()
    for provider in (
        replay,
        OpenAICompatProvider(client, base_url="http://127.0.0.1:1/v1"),
        AnthropicProvider(client, key=Secret("k")),
    ):
        assert isinstance(provider, Provider)
    request = ChatRequest(model="", messages=[ChatMessage("user", "hi")])
    assert complete_sync(replay, request).text == "yo"
