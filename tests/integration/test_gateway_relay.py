"""``recast serve`` relaying to a real llama.cpp server, driven by the official ``openai`` SDK."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai

from .prompts import GREEDY, RAW_PROMPT, few_shot, first_word
from .servers import MODEL, Process, gateway_config, run_proxy, start_gateway


def _client(gateway: Process) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.v1, api_key="unused-local", max_retries=0, timeout=300)


def _store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'captures.db'}"


def test_chat_and_completions_relayed_with_real_answers(
    llama_server: Process, tmp_path: Path
) -> None:
    routes = {"support-bot": {"alias": MODEL}}  # clients keep their own model name
    config = gateway_config(llama_server.v1, _store(tmp_path), routes)
    with start_gateway(config, tmp_path) as gw:
        client = _client(gw)
        chat = client.chat.completions.with_raw_response.create(
            model="support-bot",
            messages=few_shot("What is the capital of France?"),  # type: ignore[arg-type]
            max_tokens=8,
            **GREEDY,
        )
        raw = client.completions.create(model=MODEL, prompt=RAW_PROMPT, max_tokens=4, **GREEDY)
        listed = {m.id: m for m in client.models.list().data}

    assert chat.headers.get("x-recast-served-model") == MODEL
    reply = chat.parse()
    answer = reply.choices[0].message.content or ""
    assert first_word(answer) == "Paris", answer
    assert reply.choices[0].message.role == "assistant"
    assert reply.usage is not None and reply.usage.prompt_tokens > 20
    assert 0 < reply.usage.completion_tokens <= 8
    assert first_word(raw.choices[0].text) == "Paris", raw.choices[0].text
    assert "support-bot" in listed
    assert (listed["support-bot"].model_extra or {}).get("alias_of") == MODEL


def test_streamed_chat_matches_the_plain_answer(llama_server: Process, tmp_path: Path) -> None:
    messages = few_shot("What is the capital of Germany?")
    with run_proxy(llama_server.url) as proxy:
        config = gateway_config(proxy.v1, _store(tmp_path))
        with start_gateway(config, tmp_path) as gw:
            client = _client(gw)
            plain = client.chat.completions.create(
                model=MODEL,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=8,
                **GREEDY,
            )
            chunks = list(
                client.chat.completions.create(
                    model=MODEL,
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=8,
                    stream=True,
                    stream_options={"include_usage": True},
                    **GREEDY,
                )
            )
        upstream = proxy.calls()[1]

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert first_word(text) == "Berlin", text
    # Greedy decoding: the streamed deltas add up to the non-streamed answer, so the relay
    # neither dropped nor repeated a chunk.
    assert text == plain.choices[0].message.content
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes in (["stop"], ["length"])

    # The request reached the model with stream_options intact, and the client got exactly
    # the model's events, in order, then [DONE].
    assert upstream.body["stream_options"] == {"include_usage": True}
    events = upstream.events()
    assert events[-1] == "[DONE]"
    assert [json.loads(e) for e in events[:-1]] == [
        c.model_dump(exclude_unset=True) for c in chunks
    ]
    # The usage-only final chunk: relayed when the server sends one. llama-cpp-python
    # 0.3.x ignores stream_options and sends none (vLLM, OpenAI and llama.cpp's own
    # llama-server do); the gateway relays streams untouched and does not invent one.
    upstream_usage = [json.loads(e) for e in events[:-1] if json.loads(e).get("usage")]
    client_usage = [c for c in chunks if c.usage is not None]
    assert len(client_usage) == len(upstream_usage)
    for got, sent in zip(client_usage, upstream_usage, strict=True):
        assert got.choices == [] and got.usage is not None
        assert got.usage.completion_tokens == sent["usage"]["completion_tokens"]


def test_client_disconnect_mid_stream_cancels_upstream(
    llama_server: Process, tmp_path: Path
) -> None:
    # The proxy between gateway and model shows whether the gateway read the upstream
    # stream to its end or closed it when the client went away.
    with run_proxy(llama_server.url) as proxy:
        config = gateway_config(proxy.v1, _store(tmp_path))
        with start_gateway(config, tmp_path) as gw:
            client = _client(gw)
            # A raw completion with no stop sequence: the base model would go on for
            # all 400 tokens (minutes on two cores) if nobody stopped it.
            stream = client.completions.create(
                model=MODEL,
                prompt="Once upon a time, in a land far away, there lived a dragon who",
                max_tokens=400,
                stream=True,
                **GREEDY,
            )
            received = []
            for chunk in stream:
                if chunk.choices and chunk.choices[0].text:
                    received.append(chunk.choices[0].text)
                if len(received) >= 3:
                    break
            stream.close()  # the client hangs up mid-stream

            first = proxy.calls("/completions")[0]
            proxy.wait_for(lambda p: first.closed, timeout=120)
            assert not first.completed, "the gateway kept reading the upstream stream"

            # The gateway (and the model behind it) still serve the next request.
            after = client.chat.completions.create(
                model=MODEL,
                messages=few_shot("What is the capital of Japan?"),  # type: ignore[arg-type]
                max_tokens=8,
                **GREEDY,
            )
            health = httpx.get(gw.url + "/healthz", timeout=10)
            assert gw.alive()

    assert len(received) == 3 and "".join(received).strip()
    assert first_word(after.choices[0].message.content or "") == "Tokyo"
    assert health.status_code == 200
    assert [c.completed for c in proxy.calls("/completions")] == [False, True]
