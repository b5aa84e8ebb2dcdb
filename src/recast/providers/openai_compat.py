"""OpenAI Chat Completions over httpx, for any OpenAI-compatible base URL.

Serves OpenAI itself, Azure OpenAI (``api-key`` header and
``/openai/deployments/{deployment}/chat/completions?api-version=...``), OpenRouter,
Mistral, Groq, Together, DeepSeek, xAI, Fireworks, Gemini's OpenAI-compatible
endpoint, and local servers (vLLM, llama.cpp, Ollama).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from recast.errors import ConfigError
from recast.providers._http import (
    decode_json,
    malformed,
    map_transport_errors,
    raise_for_status,
)
from recast.providers._keys import Secret, get_key
from recast.providers._spec import CandidateSpec, ProviderKind
from recast.providers._types import ChatRequest, ChatResponse
from recast.providers.hookspecs import hookimpl

#: Default Azure OpenAI API version (GA), overridable with ``AZURE_OPENAI_API_VERSION``.
AZURE_API_VERSION = "2024-10-21"

#: Models that take ``max_completion_tokens`` and reject sampling parameters.
_REASONING = re.compile(r"^(?:[\w.-]+/)?(?:o\d|gpt-5)(?:$|[-.])")

MaxTokensField = Literal["auto", "max_tokens", "max_completion_tokens"]


@dataclass(frozen=True)
class Endpoint:
    """An OpenAI-compatible platform's defaults."""

    platform: str
    base_url: str
    key_env: str | None
    key_required: bool = True


#: The platforms served through this provider, by spec prefix.
ENDPOINTS: dict[str, Endpoint] = {
    e.platform: e
    for e in (
        Endpoint("openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
        Endpoint("azure-openai", "", "AZURE_OPENAI_API_KEY"),
        Endpoint("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
        Endpoint("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
        Endpoint(
            "gemini-api",
            "https://generativelanguage.googleapis.com/v1beta/openai",
            "GEMINI_API_KEY",
        ),
        Endpoint("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
        Endpoint("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
        Endpoint("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
        Endpoint("xai", "https://api.x.ai/v1", "XAI_API_KEY"),
        Endpoint("fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
        Endpoint("ollama", "http://127.0.0.1:11434/v1", None, key_required=False),
        Endpoint("openai-compatible", "", "OPENAI_COMPATIBLE_API_KEY", key_required=False),
    )
}


def is_reasoning_model(model: str) -> bool:
    """True for OpenAI reasoning models (o1, o3, o4-mini, gpt-5, ...), optionally prefixed."""
    return bool(_REASONING.match(model.lower()))


class OpenAICompatProvider:
    """Chat Completions against ``base_url`` (which ends before ``/chat/completions``).

    ``model`` overrides the request's model when set (a candidate always calls its own
    model); for Azure it is the deployment name. ``key`` goes in
    ``Authorization: Bearer`` (``api-key`` for Azure) and nowhere else.
    ``max_tokens_field`` ``auto`` sends ``max_completion_tokens`` and drops
    ``temperature``/``top_p`` for reasoning models on OpenAI and Azure, ``max_tokens``
    otherwise. ``timeout`` is in seconds per call (``None``: the client's own).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        platform: str = "openai-compatible",
        name: str | None = None,
        model: str | None = None,
        key: Secret | None = None,
        key_env: str | None = None,
        azure_api_version: str | None = None,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        max_tokens_field: MaxTokensField = "auto",
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._platform = platform
        self.model = model
        self._name = name or (f"{platform}:{model}" if model else platform)
        self._key = key
        self.key_env = key_env
        self.azure_api_version = azure_api_version
        self.timeout = timeout
        self._headers = dict(headers or {})
        self.max_tokens_field = max_tokens_field

    def __repr__(self) -> str:
        return (
            f"OpenAICompatProvider(name={self._name!r}, platform={self._platform!r}, "
            f"base_url={self.base_url!r}, model={self.model!r})"
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def identity(self) -> str:
        return f"openai-chat|{self._platform}|{self.base_url}|{self.model or ''}"

    def url_for(self, model: str) -> str:
        """The full chat-completions URL for ``model`` (the deployment on Azure)."""
        if self.azure_api_version is not None:
            return (
                f"{self.base_url}/openai/deployments/{model}/chat/completions"
                f"?api-version={self.azure_api_version}"
            )
        return f"{self.base_url}/chat/completions"

    def _wire_headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", **self._headers}
        if self._key:
            if self.azure_api_version is not None:
                headers["api-key"] = self._key.reveal()
            else:
                headers["authorization"] = f"Bearer {self._key.reveal()}"
        return headers

    def to_wire(self, request: ChatRequest) -> dict[str, Any]:
        """Return the JSON body sent for ``request``."""
        model = self.model or request.model
        body = request.to_openai()
        body["model"] = model
        body.pop("stream", None)
        body.pop("stream_options", None)
        use_completion_field = self.max_tokens_field == "max_completion_tokens" or (
            self.max_tokens_field == "auto"
            and self._platform in ("openai", "azure-openai")
            and is_reasoning_model(model)
        )
        if use_completion_field:
            if "max_tokens" in body:
                body["max_completion_tokens"] = body.pop("max_tokens")
            if self.max_tokens_field == "auto":
                body.pop("temperature", None)
                body.pop("top_p", None)
        return body

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Send one chat request and return the first choice."""
        model = self.model or request.model
        url = self.url_for(model)
        secrets = (self._key.reveal(),) if self._key else ()
        started = time.perf_counter()
        with map_transport_errors(platform=self._platform, model=model, url=url):
            reply = await self._http.post(
                url,
                json=self.to_wire(request),
                headers=self._wire_headers(),
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        latency_ms = (time.perf_counter() - started) * 1000.0
        raise_for_status(
            reply, platform=self._platform, model=model, key_env=self.key_env, secrets=secrets
        )
        data = decode_json(reply, platform=self._platform, model=model, secrets=secrets)
        if "choices" not in data and "error" in data:
            raise malformed(self._platform, model, f"an error in a 2xx body: {data['error']!r}")
        try:
            return ChatResponse.from_openai(data, latency_ms=latency_ms)
        except (ValueError, TypeError, AttributeError) as exc:
            raise malformed(self._platform, model, str(exc)) from exc


def create(spec: CandidateSpec, http: httpx.AsyncClient) -> OpenAICompatProvider:
    """Build the provider a parsed spec names (``openai:``, ``azure-openai:``, ...).

    Keys and base-URL overrides come from the environment (see docs/providers.md).
    """
    env = os.environ
    endpoint = ENDPOINTS[spec.kind]
    key_env = spec.api_key_env or endpoint.key_env
    key = get_key(
        spec.kind,
        spec.api_key_env,
        required=endpoint.key_required or bool(spec.api_key_env),
        environ=env,
    )
    azure_version = None
    if spec.base_url:
        base_url = spec.base_url
    elif spec.kind == "azure-openai":
        base_url = env.get("AZURE_OPENAI_ENDPOINT", "").strip()
        if not base_url:
            raise ConfigError(
                f"Candidate {spec.text!r} needs the Azure OpenAI endpoint. "
                "Set AZURE_OPENAI_ENDPOINT (e.g. https://NAME.openai.azure.com)."
            )
    else:
        override = base_url_env(spec.kind)
        base_url = (env.get(override, "").strip() if override else "") or endpoint.base_url
        if not base_url:
            raise ConfigError(
                f"Candidate {spec.text!r} has no base URL. Write it as openai-compatible:URL#MODEL."
            )
    if spec.kind == "azure-openai":
        azure_version = env.get("AZURE_OPENAI_API_VERSION", "").strip() or AZURE_API_VERSION
    return OpenAICompatProvider(
        http,
        base_url=base_url,
        platform=spec.kind,
        name=spec.name,
        model=spec.model or None,
        key=key,
        key_env=key_env,
        azure_api_version=azure_version,
    )


def base_url_env(kind: str) -> str | None:
    """The variable that overrides a platform's base URL (``OPENAI_BASE_URL``, ...)."""
    endpoint = ENDPOINTS.get(kind)
    if (
        endpoint is None
        or endpoint.key_env is None
        or kind in ("azure-openai", "openai-compatible")
    ):
        return None
    return endpoint.key_env.replace("_API_KEY", "_BASE_URL")


_DESCRIPTIONS = {
    "openai-compatible": "any OpenAI-compatible server: openai-compatible:URL#MODEL",
    "ollama": "a local Ollama server (http://127.0.0.1:11434/v1)",
    "azure-openai": "Azure OpenAI: azure-openai:DEPLOYMENT (AZURE_OPENAI_ENDPOINT)",
}


@hookimpl
def register_providers(register: Callable[[ProviderKind], None]) -> None:
    """Register one kind per platform in :data:`ENDPOINTS`."""
    for kind in ENDPOINTS:
        register(
            ProviderKind(
                name=kind,
                create=create,
                description=_DESCRIPTIONS.get(kind, f"{kind} Chat Completions"),
                argument="url" if kind == "openai-compatible" else "model",
            )
        )
