"""Anthropic Messages (``POST /v1/messages``) natively, translated from and to our types.

* system and developer messages become the top-level ``system`` prompt;
* assistant ``tool_calls`` become ``tool_use`` blocks, ``tool`` messages become
  ``tool_result`` blocks in a user turn (consecutive results share one turn);
* ``stop_reason`` maps to Chat Completions finish reasons (``end_turn`` -> ``stop``,
  ``max_tokens`` -> ``length``, ``tool_use`` -> ``tool_calls``, ``refusal`` ->
  ``content_filter``);
* usage: ``input_tokens`` is the whole prompt (uncached + cache reads + cache writes),
  ``cached_tokens`` the cache reads.

Messages has no ``seed`` and no JSON mode: ``seed`` is not sent, and a
``response_format`` becomes an instruction appended to the system prompt.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from recast.providers._http import decode_json, malformed, map_transport_errors, raise_for_status
from recast.providers._keys import Secret, get_key
from recast.providers._spec import CandidateSpec, ProviderKind
from recast.providers._types import (
    ChatMessage,
    ChatRequest,
    ChatResponse,
    JsonObject,
    ToolCall,
    Usage,
)
from recast.providers.hookspecs import hookimpl

API_VERSION = "2023-06-01"
BASE_URL = "https://api.anthropic.com"

#: Messages requires max_tokens; used when the request does not set one.
DEFAULT_MAX_TOKENS = 4096

STOP_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
    "model_context_window_exceeded": "length",
}


def _image_block(part: Mapping[str, Any]) -> JsonObject:
    image = part.get("image_url")
    url = image.get("url", "") if isinstance(image, Mapping) else str(image or "")
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";")[0] or "image/png"
        if ";base64" not in header:
            data = base64.b64encode(data.encode("utf-8")).decode("ascii")
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}


def _blocks(message: ChatMessage) -> list[JsonObject]:
    """The content blocks of one message (text and images; tool use added by the caller)."""
    if message.content is None:
        return []
    if isinstance(message.content, str):
        return [{"type": "text", "text": message.content}] if message.content else []
    blocks: list[JsonObject] = []
    for part in message.content:
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            blocks.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "image_url":
            blocks.append(_image_block(part))
        else:
            blocks.append(dict(part))  # already an Anthropic block (image, document, ...)
    return blocks


def _tool_input(call: ToolCall) -> Any:
    try:
        return call.arguments_json()
    except ValueError:
        return {"_raw_arguments": call.arguments}


def _tools(tools: tuple[JsonObject, ...]) -> list[JsonObject]:
    converted = []
    for tool in tools:
        function = tool.get("function")
        if tool.get("type") == "function" and isinstance(function, Mapping):
            item: JsonObject = {
                "name": function.get("name", ""),
                "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
            }
            if function.get("description"):
                item["description"] = function["description"]
            converted.append(item)
        else:
            converted.append(dict(tool))  # already in Anthropic form
    return converted


def _tool_choice(choice: str | JsonObject) -> JsonObject | None:
    if isinstance(choice, str):
        return {
            "auto": {"type": "auto"},
            "required": {"type": "any"},
            "none": {"type": "none"},
        }.get(choice)
    function = choice.get("function")
    if isinstance(function, Mapping) and function.get("name"):
        return {"type": "tool", "name": function["name"]}
    return dict(choice)


def _format_instruction(response_format: Mapping[str, Any]) -> str:
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = response_format.get("json_schema") or {}
        schema_text = json.dumps(schema.get("schema", schema), sort_keys=True)
        return f"Respond with only a JSON value that conforms to this JSON schema: {schema_text}"
    if kind == "json_object":
        return "Respond with only a valid JSON object."
    return ""


def to_wire(request: ChatRequest, model: str) -> JsonObject:
    """Return the Messages request body for ``request``."""
    system_parts = [m.text for m in request.messages if m.role in ("system", "developer")]
    if request.response_format:
        instruction = _format_instruction(request.response_format)
        if instruction:
            system_parts.append(instruction)
    messages: list[JsonObject] = []
    for message in request.messages:
        if message.role in ("system", "developer"):
            continue
        if message.role == "tool":
            block: JsonObject = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id or "",
                "content": _blocks(message) or [{"type": "text", "text": ""}],
            }
            previous = messages[-1] if messages else None
            if (
                previous is not None
                and previous["role"] == "user"
                and isinstance(previous["content"], list)
                and all(b.get("type") == "tool_result" for b in previous["content"])
            ):
                previous["content"].append(block)
            else:
                messages.append({"role": "user", "content": [block]})
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        for call in message.tool_calls:
            blocks.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": _tool_input(call)}
            )
        content: str | list[JsonObject]
        if isinstance(message.content, str) and not message.tool_calls:
            content = message.content
        else:
            content = blocks
        messages.append({"role": role, "content": content})

    body: JsonObject = {
        "model": model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if system_parts:
        body["system"] = "\n\n".join(p for p in system_parts if p)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    elif request.top_p is not None:  # newer models refuse both at once; temperature wins
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.tools:
        body["tools"] = _tools(request.tools)
    if request.tool_choice is not None:
        choice = _tool_choice(request.tool_choice)
        if choice is not None:
            body["tool_choice"] = choice
    for key, value in request.extra.items():
        if key in ("top_k", "metadata", "thinking", "service_tier"):
            body[key] = value
    return body


def from_wire(data: Mapping[str, Any], *, latency_ms: float | None) -> ChatResponse:
    """Read a Messages response; raise ``ValueError`` when it is not one."""
    content = data.get("content")
    if not isinstance(content, list):
        raise ValueError("no 'content' list in the response")
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in content:
        if not isinstance(block, Mapping):
            raise ValueError("a content block is not an object")
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            calls.append(
                ToolCall(
                    id=str(block.get("id", "")),
                    name=str(block.get("name", "")),
                    arguments=json.dumps(block.get("input", {}), ensure_ascii=False),
                )
            )
    stop_reason = data.get("stop_reason")
    usage_data = data.get("usage") or {}
    cache_read = int(usage_data.get("cache_read_input_tokens") or 0)
    cache_write = int(usage_data.get("cache_creation_input_tokens") or 0)
    usage = (
        Usage(
            input_tokens=int(usage_data.get("input_tokens") or 0) + cache_read + cache_write,
            output_tokens=int(usage_data.get("output_tokens") or 0),
            cached_tokens=cache_read,
        )
        if usage_data
        else None
    )
    text = "".join(texts)
    return ChatResponse(
        text=text,
        tool_calls=tuple(calls),
        finish_reason=STOP_REASONS.get(str(stop_reason), stop_reason),
        usage=usage,
        latency_ms=latency_ms,
        model=data.get("model"),
        raw=dict(data),
        refusal=(text or "refused") if stop_reason == "refusal" else None,
    )


class AnthropicProvider:
    """Anthropic Messages at ``base_url`` (default ``https://api.anthropic.com``).

    ``model`` overrides the request's model when set. ``key`` goes in ``x-api-key``
    and nowhere else. ``timeout`` is in seconds per call (``None``: the client's own).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        key: Secret | None,
        base_url: str = BASE_URL,
        name: str | None = None,
        model: str | None = None,
        key_env: str | None = "ANTHROPIC_API_KEY",
        api_version: str = API_VERSION,
        timeout: float | None = None,
    ) -> None:
        self._http = http
        self._key = key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._name = name or (f"anthropic:{model}" if model else "anthropic")
        self.key_env = key_env
        self.api_version = api_version
        self.timeout = timeout

    def __repr__(self) -> str:
        return (
            f"AnthropicProvider(name={self._name!r}, base_url={self.base_url!r}, "
            f"model={self.model!r})"
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def platform(self) -> str:
        return "anthropic"

    @property
    def identity(self) -> str:
        return f"anthropic-messages|{self.base_url}|{self.model or ''}"

    @property
    def url(self) -> str:
        base = self.base_url
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Send one request to ``/v1/messages``."""
        model = self.model or request.model
        headers = {"anthropic-version": self.api_version, "content-type": "application/json"}
        secrets: tuple[str, ...] = ()
        if self._key:
            headers["x-api-key"] = self._key.reveal()
            secrets = (self._key.reveal(),)
        started = time.perf_counter()
        with map_transport_errors(platform="anthropic", model=model, url=self.url):
            reply = await self._http.post(
                self.url,
                json=to_wire(request, model),
                headers=headers,
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        latency_ms = (time.perf_counter() - started) * 1000.0
        raise_for_status(
            reply, platform="anthropic", model=model, key_env=self.key_env, secrets=secrets
        )
        data = decode_json(reply, platform="anthropic", model=model, secrets=secrets)
        try:
            return from_wire(data, latency_ms=latency_ms)
        except (ValueError, TypeError) as exc:
            raise malformed("anthropic", model, str(exc)) from exc


def create(spec: CandidateSpec, http: httpx.AsyncClient) -> AnthropicProvider:
    """Build the provider for ``anthropic:MODEL`` (key from ``ANTHROPIC_API_KEY``)."""
    key_env = spec.api_key_env or "ANTHROPIC_API_KEY"
    key = get_key("anthropic", spec.api_key_env)
    base_url = spec.base_url or os.environ.get("ANTHROPIC_BASE_URL", "").strip() or BASE_URL
    return AnthropicProvider(
        http, key=key, base_url=base_url, name=spec.name, model=spec.model, key_env=key_env
    )


@hookimpl
def register_providers(register: Callable[[ProviderKind], None]) -> None:
    """Register the ``anthropic`` kind."""
    register(ProviderKind(name="anthropic", create=create, description="Anthropic Messages API"))
