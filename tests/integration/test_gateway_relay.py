"""``recast serve`` relaying to a real llama.cpp server, driven by the official ``openai`` SDK."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai

from .prompts import GREEDY, RAW_PROMPT, few_shot, first_word, zero_shot
from .servers import MODEL, Process, gateway_config, run_proxy, start_gateway


def _client(gateway: Process) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.v1, api_key="unused-local", max_retries=0, timeout=300)


def _store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'captures.db'}"


def test_chat_and_completions_relayed_with_real_answers(
    llama_server: Process, tmp_path: Path
) -> None:
    with start_gateway(gateway_config(llama_server.v1, _store(tmp_path)), tmp_path) as gw:
        client = _client(gw)
        chat = client.chat.completions.create(
            model=MODEL,
            messages=few_shot("What is the capital of France?"),  # type: ignore[arg-type]
            max_tokens=8,
            **GREEDY,
        )
        raw = client.completions.create(model=MODEL, prompt=RAW_PROMPT, max_tokens=4, **GREEDY)
        models = client.models.list()

    answer = chat.choices[0].message.content or ""
    assert first_word(answer) == "Paris", answer
    assert chat.choices[0].message.role == "assistant"
    assert chat.usage is not None and chat.usage.prompt_tokens > 20
    assert 0 < chat.usage.completion_tokens <= 8
    assert first_word(raw.choices[0].text) == "Paris", raw.choices[0].text
    assert MODEL in [m.id for m in models.data] or models.data  # the gateway's own listing


def test_streamed_chat_matches_the_plain_answer(llama_server: Process, tmp_path: Path) -> None:
    messages = few_shot("What is the capital of Germany?")
    with start_gateway(gateway_config(llama_server.v1, _store(tmp_path)), tmp_path) as gw:
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

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert first_word(text) == "Berlin", text
    # Greedy decoding: the streamed deltas add up to the non-streamed answer, so the relay
    # neither dropped nor repeated a chunk.
    assert text == plain.choices[0].message.content
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes in (["stop"], ["length"])
    # The final usage-only chunk that include_usage asks for.
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1 and usage_chunks[0] is chunks[-1], chunks[-3:]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_client_disconnect_mid_stream_cancels_upstream(
    llama_server: Process, tmp_path: Path
) -> None:
    # The proxy between gateway and model shows whether the gateway read the upstream
    # stream to its end or closed it when the client went away.
    with run_proxy(llama_server.url) as proxy:
        config = gateway_config(proxy.v1, _store(tmp_path))
        with start_gateway(config, tmp_path) as gw:
            client = _client(gw)
            stream = client.chat.completions.create(
                model=MODEL,
                messages=zero_shot("Tell me a very long story about a dragon and a knight."),  # type: ignore[arg-type]
                max_tokens=400,
                stream=True,
                **GREEDY,
            )
            received = []
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    received.append(chunk.choices[0].delta.content)
                if len(received) >= 3:
                    break
            stream.close()  # the client hangs up mid-stream

            first = proxy.calls()[0]
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
    assert [c.completed for c in proxy.calls()] == [False, True]
