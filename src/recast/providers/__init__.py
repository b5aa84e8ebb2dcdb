"""Clients for model providers, shared by audition, the gateway, rehearse and watch.

One request type in, one response type out, whatever the platform::

    import httpx
    from recast.providers import ChatRequest, ChatMessage, build_provider

    async def main() -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            provider = build_provider("openai:gpt-4.1", http)
            request = ChatRequest(model="", messages=[ChatMessage("user", "Hi")])
            response = await provider.complete(request)
            print(response.text, response.usage)

Specs, environment variables, limits, the cache and plugins: docs/providers.md.
"""

from __future__ import annotations

import asyncio

from recast.providers._cache import CachedProvider, ResponseCache, cache_key, default_cache_path
from recast.providers._http import parse_retry_after
from recast.providers._keys import KEY_ENV, Secret, get_key, key_env_for
from recast.providers._limits import (
    LimitedProvider,
    Limits,
    TokenBucket,
    backoff_delay,
    estimate_tokens,
)
from recast.providers._spec import (
    KIND_ALIASES,
    CandidateSpec,
    ProviderKind,
    build_provider,
    parse_candidate_spec,
    parse_candidate_specs,
    plugin_manager,
    provider_kinds,
    register_plugin,
    reset_plugins,
)
from recast.providers._types import (
    ChatMessage,
    ChatRequest,
    ChatResponse,
    Content,
    JsonObject,
    Provider,
    ToolCall,
    Usage,
    content_text,
)
from recast.providers.anthropic import AnthropicProvider
from recast.providers.hookspecs import hookimpl, hookspec
from recast.providers.openai_compat import ENDPOINTS, OpenAICompatProvider, is_reasoning_model
from recast.providers.replay import ReplayProvider, normalise_prompt


def complete_sync(provider: Provider, request: ChatRequest) -> ChatResponse:
    """Run ``provider.complete(request)`` to completion from synchronous code.

    Starts a fresh event loop, so the provider's ``httpx.AsyncClient`` must not be in
    use by another loop; build one per loop (or use this only in scripts).
    """
    return asyncio.run(provider.complete(request))


__all__ = [
    "ENDPOINTS",
    "KEY_ENV",
    "KIND_ALIASES",
    "AnthropicProvider",
    "CachedProvider",
    "CandidateSpec",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "Content",
    "JsonObject",
    "LimitedProvider",
    "Limits",
    "OpenAICompatProvider",
    "Provider",
    "ProviderKind",
    "ReplayProvider",
    "ResponseCache",
    "Secret",
    "TokenBucket",
    "ToolCall",
    "Usage",
    "backoff_delay",
    "build_provider",
    "cache_key",
    "complete_sync",
    "content_text",
    "default_cache_path",
    "estimate_tokens",
    "get_key",
    "hookimpl",
    "hookspec",
    "is_reasoning_model",
    "key_env_for",
    "normalise_prompt",
    "parse_candidate_spec",
    "parse_candidate_specs",
    "parse_retry_after",
    "plugin_manager",
    "provider_kinds",
    "register_plugin",
    "reset_plugins",
]
