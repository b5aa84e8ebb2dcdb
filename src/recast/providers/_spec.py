"""Candidate specs (``openai:gpt-4.1``, ``NAME=replay:PATH``, ...) and the provider registry.

The spec grammar is a stable interface (scripts depend on it)::

    SPEC  := [NAME "="] BODY
    BODY  := KIND ":" MODEL            openai:gpt-4.1, anthropic:claude-sonnet-4-5,
                                       azure-openai:DEPLOYMENT, ollama:llama3.2, ...
           | "openai-compatible:" URL ["#" MODEL]
           | "replay:" PATH            recorded answers (JSONL, JSON list or CSV)
           | CATALOG_ID                a bare model id, resolved to its platform

``KIND`` is any registered provider kind (built-in or plugin). NAME defaults to the
model (the file stem for replay, the host for a model-less URL).
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
import pluggy

from recast.errors import ConfigError, UnknownModelError
from recast.providers._types import Provider

if TYPE_CHECKING:
    from recast.catalog import Catalog
    from recast.providers._cache import ResponseCache
    from recast.providers._limits import Limits

#: Other spellings accepted for a kind.
KIND_ALIASES: dict[str, str] = {
    "azure": "azure-openai",
    "gemini": "gemini-api",
    "google": "gemini-api",
    "openai-compat": "openai-compatible",
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+ -]*$")
_KIND_LIKE = re.compile(r"^[a-z][a-z0-9-]*$")

Argument = Literal["model", "url", "path"]


@dataclass(frozen=True)
class CandidateSpec:
    """A parsed candidate spec.

    ``kind`` is the provider kind (``openai``, ``anthropic``, ``openai-compatible``,
    ``replay``, or a plugin's); ``model`` the model id to call on it (``""`` when the
    server picks, or for replay); ``base_url`` is set for ``openai-compatible``;
    ``path`` for ``replay``. ``api_key_env`` overrides the platform's key variable.
    """

    text: str
    name: str
    kind: str
    model: str = ""
    base_url: str | None = None
    path: str | None = None
    api_key_env: str | None = None

    @property
    def platform(self) -> str | None:
        """The catalog platform serving the model (for prices), when the kind is one."""
        from recast.catalog import PLATFORMS

        return self.kind if self.kind in PLATFORMS else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "name": self.name,
            "kind": self.kind,
            "model": self.model,
            "base_url": self.base_url,
            "path": self.path,
            "api_key_env": self.api_key_env,
        }


@dataclass(frozen=True)
class ProviderKind:
    """A spec prefix and how to build its provider.

    ``create(spec, http)`` returns a :class:`Provider`; it may raise
    :class:`recast.errors.MissingKeyError` or :class:`recast.errors.ConfigError`.
    ``argument`` says what follows the colon: a model id, a URL (``URL#MODEL``) or a path.
    """

    name: str
    create: Callable[[CandidateSpec, httpx.AsyncClient], Provider]
    description: str = ""
    argument: Argument = "model"


# -- registry ------------------------------------------------------------------------------

_kinds: dict[str, ProviderKind] | None = None
_extra_plugins: list[object] = []


def _load_entry_points() -> bool:
    if os.environ.get("RECAST_LOAD_PLUGINS", "").strip() == "0":
        return False
    # Installed plugins must not change test results (``sys._called_from_test`` is the
    # flag llm's test suites set; pytest sets PYTEST_CURRENT_TEST while a test runs).
    return "PYTEST_CURRENT_TEST" not in os.environ and not getattr(sys, "_called_from_test", False)


def plugin_manager() -> pluggy.PluginManager:
    """Return a plugin manager holding the built-in, in-process and installed plugins.

    Installed (entry-point) plugins are skipped under pytest and when
    ``RECAST_LOAD_PLUGINS=0``.
    """
    from recast.providers import hookspecs

    manager = pluggy.PluginManager("recast")
    manager.add_hookspecs(hookspecs)
    for module in hookspecs.BUILTIN:
        manager.register(importlib.import_module(module), name=module)
    for plugin in _extra_plugins:
        manager.register(plugin)
    if _load_entry_points():
        manager.load_setuptools_entrypoints("recast")
    return manager


def provider_kinds() -> dict[str, ProviderKind]:
    """Return every registered provider kind by name (loaded once per process)."""
    global _kinds
    if _kinds is None:
        found: dict[str, ProviderKind] = {}

        def register(kind: ProviderKind) -> None:
            if not isinstance(kind, ProviderKind):
                raise ConfigError(
                    f"A recast plugin registered {kind!r}, which is not a ProviderKind."
                )
            if kind.name in found:
                raise ConfigError(
                    f"Two plugins register the provider kind {kind.name!r}. "
                    "Uninstall one, or set RECAST_LOAD_PLUGINS=0."
                )
            found[kind.name] = kind

        plugin_manager().hook.register_providers(register=register)
        _kinds = found
    return _kinds


def register_plugin(plugin: object) -> None:
    """Register a plugin object (a module or class with hook implementations) in-process."""
    global _kinds
    _extra_plugins.append(plugin)
    _kinds = None


def reset_plugins() -> None:
    """Forget in-process plugins and reload the registry on next use (for tests)."""
    global _kinds
    _extra_plugins.clear()
    _kinds = None


# -- parsing -------------------------------------------------------------------------------


def _usage_hint() -> str:
    return (
        "Use PLATFORM:MODEL (openai:gpt-4.1), openai-compatible:URL#MODEL, "
        "NAME=replay:PATH or a catalog model id."
    )


def _parse_url(text: str, rest: str) -> tuple[str, str]:
    url, _, model = rest.partition("#")
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConfigError(f"Candidate {text!r} has an invalid URL {url!r}: {exc}.") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(
            f"Candidate {text!r} needs an http(s) URL, got {url!r}. "
            "Example: openai-compatible:http://127.0.0.1:8080/v1#my-model"
        )
    return url, model.strip()


def parse_candidate_spec(spec: str, *, catalog: Catalog | None = None) -> CandidateSpec:
    """Parse one candidate spec (grammar in this module's docstring).

    A bare id is resolved with :func:`recast.catalog.lookup` (``catalog`` if given).
    Raise :class:`ConfigError` for malformed specs or unknown kinds, and
    :class:`UnknownModelError` (with suggestions) for an unknown bare id.
    """
    text = spec.strip()
    if not text:
        raise ConfigError("Empty candidate spec. " + _usage_hint())
    name: str | None = None
    body = text
    head, sep, tail = text.partition("=")
    if sep and ":" not in head and "/" not in head:
        name = head.strip()
        body = tail.strip()
        if not _NAME.match(name):
            raise ConfigError(
                f"Candidate name {name!r} in {text!r} is not valid: use letters, digits "
                "and . _ - + @ (no ':', '/' or '=')."
            )
        if not body:
            raise ConfigError(f"Candidate {text!r} names {name!r} but no model. " + _usage_hint())

    kinds = provider_kinds()
    prefix, colon, rest = body.partition(":")
    kind_name = KIND_ALIASES.get(prefix.strip().lower(), prefix.strip().lower())
    if colon and kind_name in kinds:
        kind = kinds[kind_name]
        rest = rest.strip()
        if not rest:
            what = {"model": "a model id", "url": "a URL", "path": "a file path"}[kind.argument]
            raise ConfigError(f"Candidate {text!r} needs {what} after {prefix + ':'!r}.")
        if kind.argument == "path":
            return CandidateSpec(text, name or Path(rest).stem or rest, kind_name, path=rest)
        if kind.argument == "url":
            url, model = _parse_url(text, rest)
            default = model or (httpx.URL(url).host or url)
            return CandidateSpec(text, name or default, kind_name, model=model, base_url=url)
        return CandidateSpec(text, name or rest, kind_name, model=rest)

    from recast.catalog import lookup

    try:
        offering = lookup(body, catalog=catalog)
    except UnknownModelError:
        if colon and _KIND_LIKE.match(prefix) and rest.strip():
            close = difflib.get_close_matches(prefix, [*kinds, *KIND_ALIASES], n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"Unknown candidate kind {prefix!r} in {text!r}.{hint} "
                f"Known kinds: {', '.join(sorted(kinds))}."
            ) from None
        raise
    if offering.platform not in kinds:
        raise ConfigError(
            f"Model {body!r} is served on {offering.platform!r}, which recast cannot call "
            f"directly (kinds: {', '.join(sorted(kinds))}). Call it through an "
            "OpenAI-compatible gateway: openai-compatible:URL#MODEL."
        )
    return CandidateSpec(text, name or body, offering.platform, model=offering.platform_id)


def parse_candidate_specs(
    specs: Iterable[str], *, catalog: Catalog | None = None
) -> list[CandidateSpec]:
    """Parse several specs; raise :class:`ConfigError` when two share a name."""
    parsed: list[CandidateSpec] = []
    seen: dict[str, str] = {}
    for text in specs:
        spec = parse_candidate_spec(text, catalog=catalog)
        if spec.name in seen:
            raise ConfigError(
                f"Candidates {seen[spec.name]!r} and {spec.text!r} are both named "
                f"{spec.name!r}. Name one with NAME=SPEC."
            )
        seen[spec.name] = spec.text
        parsed.append(spec)
    return parsed


def build_provider(
    spec: str | CandidateSpec,
    http_client: httpx.AsyncClient,
    *,
    limits: Limits | None = None,
    cache: ResponseCache | None = None,
) -> Provider:
    """Create the provider a spec names, optionally behind limits and the response cache.

    The result is ``CachedProvider(LimitedProvider(raw))`` when both are given, so
    cache hits skip the limits. Raise :class:`MissingKeyError` when the platform's key
    variable is unset and :class:`ConfigError` for a bad spec or missing setting.
    """
    parsed = parse_candidate_spec(spec) if isinstance(spec, str) else spec
    kinds = provider_kinds()
    kind = kinds.get(parsed.kind)
    if kind is None:
        raise ConfigError(
            f"Unknown provider kind {parsed.kind!r}. Known kinds: {', '.join(sorted(kinds))}."
        )
    provider = kind.create(parsed, http_client)
    if limits is not None:
        from recast.providers._limits import LimitedProvider

        provider = LimitedProvider(provider, limits)
    if cache is not None:
        from recast.providers._cache import CachedProvider

        provider = CachedProvider(provider, cache)
    return provider
