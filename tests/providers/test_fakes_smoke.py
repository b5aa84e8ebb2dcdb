"""The fake server itself answers both protocols and counts what it sees."""

from __future__ import annotations

import httpx

from providers.fakes import FakeLLMServer, Reply


async def test_fake_server_echoes_and_records(fake_llm: FakeLLMServer) -> None:
    async with httpx.AsyncClient() as client:
        reply = await client.post(
            fake_llm.openai_url + "/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert reply.json()["choices"][0]["message"]["content"] == "echo: hi"
        fake_llm.script(Reply("scripted"))
        reply = await client.post(
            fake_llm.url + "/v1/messages",
            json={"model": "c", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
        )
        assert reply.json()["content"] == [{"type": "text", "text": "scripted"}]
    assert fake_llm.request_count == 2
    assert fake_llm.requests[1].path == "/v1/messages"


def test_official_sdks_stream_from_the_fake(fake_llm: FakeLLMServer) -> None:
    import anthropic
    import openai

    fake_llm.default = Reply("one two three", usage=(9, 3, 0))
    client = openai.OpenAI(base_url=fake_llm.openai_url, api_key="sk-fake")
    chunks = list(
        client.chat.completions.create(
            model="gpt-4.1",
            messages=[{"role": "user", "content": "count"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3

    claude = anthropic.Anthropic(base_url=fake_llm.url, api_key="sk-ant-fake")
    with claude.messages.stream(
        model="claude-test", max_tokens=50, messages=[{"role": "user", "content": "count"}]
    ) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == "one two three"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3
    sent = fake_llm.requests[-1].headers
    assert "sk-ant-fake" in (sent.get("x-api-key", ""), sent.get("authorization", "")[7:])
