"""Keys come from the environment and never show up in a repr, log, error or the cache."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from providers.fakes import Fail, FakeLLMServer
from recast.errors import MissingKeyError, ProviderError
from recast.providers import (
    ChatMessage,
    ChatRequest,
    Limits,
    ResponseCache,
    Secret,
    build_provider,
    get_key,
    key_env_for,
)

KEY = "sk-live-SECRET-4f9a1c77e2"


def test_secret_is_masked_everywhere() -> None:
    secret = Secret(KEY)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", " ".join([str(secret)])):
        assert KEY not in text
    assert secret.reveal() == KEY
    assert secret == Secret(KEY) and secret != Secret("other")
    with pytest.raises(TypeError):
        hash(secret)
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingKeyError) as err:
        get_key("anthropic")
    assert str(err.value) == (
        "No API key for platform 'anthropic'. Set ANTHROPIC_API_KEY in the environment "
        "(or name another variable with api_key_env)."
    )
    assert err.value.platform == "anthropic"
    with pytest.raises(MissingKeyError, match="Set TEAM_KEY in the environment"):
        get_key("openai", "TEAM_KEY")
    monkeypatch.setenv("TEAM_KEY", f"  {KEY}\n")
    key = get_key("openai", "TEAM_KEY")
    assert key is not None and key.reveal() == KEY
    assert get_key("ollama", required=False) is None
    assert key_env_for("gemini-api") == "GEMINI_API_KEY"
    assert key_env_for("openrouter", "MY_VAR") == "MY_VAR"


async def test_key_never_leaks(
    fake_llm: FakeLLMServer,
    http: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    recast_home: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_url)
    provider = build_provider("openai:gpt-4.1", http, limits=Limits(), cache=ResponseCache())
    request = ChatRequest(model="", messages=[ChatMessage("user", "hello")])

    response = await provider.complete(request)
    assert fake_llm.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent ...
    assert (await provider.complete(request)).cached

    # ... and a server that echoes the key in its error body does not get it into our error.
    fake_llm.script(Fail(401, body={"error": {"message": f"Incorrect API key provided: {KEY}"}}))
    with pytest.raises(ProviderError) as err:
        await provider.complete(ChatRequest(model="", messages=[ChatMessage("user", "again")]))

    texts = [
        repr(provider),
        str(provider.__dict__),
        repr(response),
        str(response.to_dict()),
        str(err.value),
        repr(err.value),
        getattr(err.value, "body", ""),
        caplog.text,
    ]
    for text in texts:
        assert KEY not in text
    assert "[redacted]" in str(err.value)
    for path in (recast_home / "cache").iterdir():
        assert KEY.encode() not in path.read_bytes()
