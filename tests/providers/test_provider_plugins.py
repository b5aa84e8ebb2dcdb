"""Provider plugins: the same hook the built-ins use, entry points skipped in tests."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pluggy
import pytest

from recast.errors import ConfigError
from recast.providers import (
    CandidateSpec,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    ProviderKind,
    build_provider,
    hookimpl,
    parse_candidate_spec,
    plugin_manager,
    provider_kinds,
    register_plugin,
)


class ShoutProvider:
    """A toy provider answering with the prompt in capitals."""

    platform = "shout"

    def __init__(self, spec: CandidateSpec) -> None:
        self.name = spec.name
        self.identity = f"shout|{spec.model}"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return ChatResponse(text=request.prompt.upper(), model="shout")


class ShoutPlugin:
    @hookimpl
    def register_providers(self, register: Callable[[ProviderKind], None]) -> None:
        register(ProviderKind("shout", lambda spec, http: ShoutProvider(spec), "capitals"))


async def test_a_plugin_adds_a_kind() -> None:
    with pytest.raises(ConfigError, match="Unknown candidate kind 'shout'"):
        parse_candidate_spec("shout:loud")
    register_plugin(ShoutPlugin())
    assert "shout" in provider_kinds()
    spec = parse_candidate_spec("me=shout:loud")
    assert (spec.kind, spec.model, spec.name) == ("shout", "loud", "me")
    async with httpx.AsyncClient() as http:
        provider = build_provider(spec, http)
    response = await provider.complete(ChatRequest(model="", messages=[ChatMessage("user", "hi")]))
    assert response.text == "HI" and provider.name == "me"


def test_a_plugin_cannot_take_a_builtin_kind() -> None:
    class Impostor:
        @hookimpl
        def register_providers(self, register: Callable[[ProviderKind], None]) -> None:
            register(ProviderKind("openai", lambda spec, http: ShoutProvider(spec)))

    register_plugin(Impostor())
    with pytest.raises(ConfigError, match="Two plugins register the provider kind 'openai'"):
        provider_kinds()


def test_builtins_register_through_the_hook() -> None:
    manager = plugin_manager()
    names = {manager.get_name(p) for p in manager.get_plugins()}
    assert {
        "recast.providers.openai_compat",
        "recast.providers.anthropic",
        "recast.providers.replay",
    } <= names


@pytest.mark.parametrize(
    ("pytest_running", "setting", "loads"),
    [(True, None, False), (False, None, True), (False, "0", False), (False, "1", True)],
)
def test_entry_points_are_skipped_in_tests_and_on_request(
    monkeypatch: pytest.MonkeyPatch, pytest_running: bool, setting: str | None, loads: bool
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        pluggy.PluginManager,
        "load_setuptools_entrypoints",
        lambda self, group, name=None: calls.append(group) or 0,
    )
    if not pytest_running:
        monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    if setting is None:
        monkeypatch.delenv("RECAST_LOAD_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("RECAST_LOAD_PLUGINS", setting)
    plugin_manager()
    assert calls == (["recast"] if loads else [])
