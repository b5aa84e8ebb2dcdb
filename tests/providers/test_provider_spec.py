"""Candidate specs: the documented grammar, errors with fixes, and robustness on any input."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recast.catalog import Catalog, Lifecycle, Model, Offering
from recast.errors import ConfigError, MissingKeyError, RecastError, UnknownModelError
from recast.providers import (
    AnthropicProvider,
    CandidateSpec,
    OpenAICompatProvider,
    ReplayProvider,
    build_provider,
    parse_candidate_spec,
    parse_candidate_specs,
    provider_kinds,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4.1", CandidateSpec("openai:gpt-4.1", "gpt-4.1", "openai", "gpt-4.1")),
        (
            "anthropic:claude-sonnet-4-5",
            CandidateSpec(
                "anthropic:claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"
            ),
        ),
        (
            "openai-compatible:http://127.0.0.1:8080/v1#model",
            CandidateSpec(
                "openai-compatible:http://127.0.0.1:8080/v1#model",
                "model",
                "openai-compatible",
                "model",
                base_url="http://127.0.0.1:8080/v1",
            ),
        ),
        (
            "local=openai-compatible:http://127.0.0.1:8080/v1",
            CandidateSpec(
                "local=openai-compatible:http://127.0.0.1:8080/v1",
                "local",
                "openai-compatible",
                "",
                base_url="http://127.0.0.1:8080/v1",
            ),
        ),
        (
            "gpt-4-0613=replay:data/gpt-4-0613.jsonl",
            CandidateSpec(
                "gpt-4-0613=replay:data/gpt-4-0613.jsonl",
                "gpt-4-0613",
                "replay",
                path="data/gpt-4-0613.jsonl",
            ),
        ),
        (
            "replay:out/a=b.jsonl",
            CandidateSpec("replay:out/a=b.jsonl", "a=b", "replay", path="out/a=b.jsonl"),
        ),
        (
            "fast = openai:gpt-4.1-mini",
            CandidateSpec("fast = openai:gpt-4.1-mini", "fast", "openai", "gpt-4.1-mini"),
        ),
        (
            "gemini:gemini-2.5-flash",
            CandidateSpec(
                "gemini:gemini-2.5-flash", "gemini-2.5-flash", "gemini-api", "gemini-2.5-flash"
            ),
        ),
        (
            "openai:ft:gpt-4o:acme::x1",
            CandidateSpec(
                "openai:ft:gpt-4o:acme::x1", "ft:gpt-4o:acme::x1", "openai", "ft:gpt-4o:acme::x1"
            ),
        ),
        (
            "OpenRouter:openai/gpt-4o",
            CandidateSpec(
                "OpenRouter:openai/gpt-4o", "openai/gpt-4o", "openrouter", "openai/gpt-4o"
            ),
        ),
    ],
)
def test_documented_forms(text: str, expected: CandidateSpec) -> None:
    assert parse_candidate_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Empty candidate spec"),
        ("   ", "Empty candidate spec"),
        ("openai:", "needs a model id after 'openai:'"),
        ("replay:", "needs a file path"),
        ("x=", "names 'x' but no model"),
        ("bad name!=openai:gpt-4", "Candidate name 'bad name!' .* is not valid"),
        ("openai-compatible:ftp://host/v1#m", "needs an http\\(s\\) URL"),
        ("openai-compatible:#m", "needs an http\\(s\\) URL"),
        ("opneai:gpt-4.1", "Unknown candidate kind 'opneai'.*Did you mean: openai"),
    ],
)
def test_bad_specs_say_how_to_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_candidate_spec(text)


def _catalog() -> Catalog:
    return Catalog.build(
        models=[
            Model(id="gpt-4.1", provider="openai"),
            Model(id="claude-3-opus-20240229", provider="anthropic"),
            Model(id="nova-pro", provider="amazon"),
        ],
        offerings=[
            Offering("gpt-4.1", "openai", "gpt-4.1"),
            Offering("claude-3-opus-20240229", "anthropic", "claude-3-opus-20240229", Lifecycle()),
            Offering("nova-pro", "bedrock", "amazon.nova-pro-v1:0"),
        ],
    )


def test_bare_catalog_ids_resolve_to_their_platform() -> None:
    catalog = _catalog()
    spec = parse_candidate_spec("gpt-4.1", catalog=catalog)
    assert (spec.kind, spec.model, spec.name, spec.platform) == (
        "openai",
        "gpt-4.1",
        "gpt-4.1",
        "openai",
    )
    opus = parse_candidate_spec("old=claude-3-opus-20240229", catalog=catalog)
    assert (opus.kind, opus.name) == ("anthropic", "old")


def test_unknown_bare_ids_suggest_models() -> None:
    with pytest.raises(UnknownModelError):
        parse_candidate_spec("gpt-4.11", catalog=_catalog())
    with pytest.raises(UnknownModelError, match=r"Did you mean: gpt-4.1"):
        parse_candidate_spec("gpt-4.11")  # the bundled catalog


def test_bare_ids_in_the_bundled_catalog() -> None:
    spec = parse_candidate_spec("gpt-4.1")
    assert (spec.kind, spec.model) == ("openai", "gpt-4.1")


def test_platforms_we_cannot_call_say_so() -> None:
    with pytest.raises(ConfigError, match=r"served on 'bedrock'.*openai-compatible:URL#MODEL"):
        parse_candidate_spec("nova-pro", catalog=_catalog())


def test_duplicate_names_are_refused() -> None:
    specs = parse_candidate_specs(["openai:gpt-4.1", "fast=openai:gpt-4.1-mini"])
    assert [s.name for s in specs] == ["gpt-4.1", "fast"]
    with pytest.raises(ConfigError, match=r"both named 'gpt-4.1'. Name one with NAME=SPEC"):
        parse_candidate_specs(["openai:gpt-4.1", "azure-openai:gpt-4.1"])


async def test_build_provider_for_each_builtin_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "k1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k2")
    monkeypatch.setenv("GROQ_API_KEY", "k3")
    answers = tmp_path / "a.jsonl"
    answers.write_text('{"id": "1", "output": "x"}\n')
    async with httpx.AsyncClient() as http:
        openai = build_provider("openai:gpt-4.1", http)
        assert isinstance(openai, OpenAICompatProvider)
        assert openai.base_url == "https://api.openai.com/v1"
        anthropic = build_provider("anthropic:claude-sonnet-4-5", http)
        assert isinstance(anthropic, AnthropicProvider)
        assert anthropic.url == "https://api.anthropic.com/v1/messages"
        groq = build_provider("groq:llama-3.3-70b-versatile", http)
        assert isinstance(groq, OpenAICompatProvider)
        assert groq.url_for("x") == "https://api.groq.com/openai/v1/chat/completions"
        ollama = build_provider("ollama:llama3.2", http)  # local: no key needed
        assert isinstance(ollama, OpenAICompatProvider) and ollama.platform == "ollama"
        assert isinstance(build_provider(f"replay:{answers}", http), ReplayProvider)
        with pytest.raises(MissingKeyError, match=r"MISTRAL_API_KEY"):
            build_provider("mistral:mistral-large-latest", http)
        with pytest.raises(ConfigError, match=r"AZURE_OPENAI_ENDPOINT"):
            monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k4")
            build_provider("azure-openai:dep", http)
    assert {"openai", "anthropic", "openai-compatible", "replay", "azure-openai"} <= set(
        provider_kinds()
    )


# -- robustness --------------------------------------------------------------------------------

_kinds = st.sampled_from(["openai", "anthropic", "groq", "mistral", "openrouter", "ollama"])
_models = st.from_regex(r"[a-z0-9][a-z0-9.:/_-]{0,30}", fullmatch=True)
_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,20}", fullmatch=True)


@given(kind=_kinds, model=_models, name=st.one_of(st.none(), _names))
def test_platform_specs_round_trip(kind: str, model: str, name: str | None) -> None:
    text = f"{name}={kind}:{model}" if name else f"{kind}:{model}"
    spec = parse_candidate_spec(text)
    assert (spec.kind, spec.model) == (kind, model)
    assert spec.name == (name or model)


@given(
    port=st.integers(1, 65535),
    path=st.from_regex(r"(/[a-z0-9]{1,8}){0,3}", fullmatch=True),
    model=st.one_of(st.just(""), _models.filter(lambda m: "#" not in m)),
)
def test_url_specs_round_trip(port: int, path: str, model: str) -> None:
    url = f"http://127.0.0.1:{port}{path}"
    spec = parse_candidate_spec(
        f"openai-compatible:{url}#{model}" if model else f"openai-compatible:{url}"
    )
    assert (spec.base_url, spec.model) == (url, model)


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_any_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        spec = parse_candidate_spec(text, catalog=_catalog())
    except RecastError:
        return
    assert spec.kind in provider_kinds()
    assert spec.name
