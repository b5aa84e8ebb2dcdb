"""The provider-neutral value objects: one chat request in, one chat response out.

The shapes follow OpenAI Chat Completions (the lingua franca of the gateway and of
recorded traffic); each provider translates them to and from its own wire format.
Every object is a frozen dataclass with ``to_dict`` / ``from_dict`` that round-trip
through JSON, so requests and responses can be stored and cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

#: A JSON object as decoded by :func:`json.loads`.
JsonObject = dict[str, Any]

#: Message content: plain text, a list of content parts (``{"type": "text", ...}``,
#: ``{"type": "image_url", ...}``) or ``None`` (an assistant turn that only calls tools).
Content = str | tuple[JsonObject, ...] | None

#: Chat Completions fields that ChatRequest models as attributes (everything else is ``extra``).
_KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "tools",
        "tool_choice",
        "response_format",
        "seed",
    }
)

#: Fields that never reach a provider: streaming is the gateway's business.
_TRANSPORT_FIELDS = frozenset({"stream", "stream_options"})


def _content(value: Any) -> Content:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return (dict(value),)
    if isinstance(value, Iterable):
        return tuple(dict(part) for part in value)
    raise TypeError(f"message content must be a string or a list of parts, not {value!r}")


def _drop_none(data: Mapping[str, Any]) -> JsonObject:
    return {k: v for k, v in data.items() if v is not None}


def content_text(content: Content) -> str:
    """Return the text of message content, joining the text parts of a part list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if part.get("type") in ("text", "input_text", "output_text") and isinstance(
            part.get("text"), str
        ):
            texts.append(part["text"])
    return "\n".join(texts)


@dataclass(frozen=True)
class ToolCall:
    """A function call made by the model; ``arguments`` is a JSON string, as the API sends it."""

    id: str
    name: str
    arguments: str = "{}"

    def arguments_json(self) -> Any:
        """Return the decoded arguments; raise ``ValueError`` when they are not valid JSON."""
        return json.loads(self.arguments or "{}")

    def to_dict(self) -> JsonObject:
        """Return the Chat Completions form (``{"id", "type": "function", "function": ...}``)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ToolCall:
        """Read the Chat Completions form, or the flat ``{"id", "name", "arguments"}`` form."""
        function = data.get("function") or {}
        name = function.get("name", data.get("name", ""))
        arguments = function.get("arguments", data.get("arguments", "{}"))
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False, sort_keys=True)
        return cls(id=str(data.get("id") or ""), name=str(name or ""), arguments=arguments)


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation (``role`` is system, developer, user, assistant or tool)."""

    role: str
    content: Content = None
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", _content(self.content))
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))

    @property
    def text(self) -> str:
        """The message's text (text parts joined by newlines)."""
        return content_text(self.content)

    def to_dict(self) -> JsonObject:
        """Return the Chat Completions form, leaving out empty fields."""
        data: JsonObject = {"role": self.role}
        if isinstance(self.content, tuple):
            data["content"] = [dict(part) for part in self.content]
        else:
            data["content"] = self.content
        if self.name is not None:
            data["name"] = self.name
        if self.tool_calls:
            data["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            data["tool_call_id"] = self.tool_call_id
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChatMessage:
        """Read a Chat Completions message."""
        return cls(
            role=str(data.get("role", "user")),
            content=_content(data.get("content")),
            name=data.get("name"),
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ()),
            tool_call_id=data.get("tool_call_id"),
        )


def _messages(value: Iterable[ChatMessage | Mapping[str, Any]]) -> tuple[ChatMessage, ...]:
    return tuple(m if isinstance(m, ChatMessage) else ChatMessage.from_dict(m) for m in value)


@dataclass(frozen=True)
class ChatRequest:
    """A provider-neutral chat request.

    ``extra`` holds parameters recast does not model (``n``, ``logprobs``,
    ``reasoning_effort``, ...); OpenAI-compatible providers send them as they are.
    ``case_id`` names the audition case the request belongs to: it is never sent
    and is not part of :meth:`cache_key` (replay candidates use it to find answers).
    ``max_tokens`` also receives ``max_completion_tokens``; each provider sends the
    field its platform expects.
    """

    model: str
    messages: tuple[ChatMessage, ...] = ()
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] | None = None
    tools: tuple[JsonObject, ...] | None = None
    tool_choice: str | JsonObject | None = None
    response_format: JsonObject | None = None
    seed: int | None = None
    extra: JsonObject = field(default_factory=dict)
    case_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", _messages(self.messages))
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        elif self.stop is not None:
            object.__setattr__(self, "stop", tuple(self.stop))
        if self.tools is not None:
            object.__setattr__(self, "tools", tuple(dict(t) for t in self.tools))
        object.__setattr__(self, "extra", dict(self.extra))

    # -- conversions -------------------------------------------------------------------------

    @property
    def system(self) -> str:
        """The text of the system (and developer) messages, joined by blank lines."""
        return "\n\n".join(m.text for m in self.messages if m.role in ("system", "developer"))

    @property
    def prompt(self) -> str:
        """The text of the last user message (``""`` when there is none)."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return ""

    def with_model(self, model: str) -> ChatRequest:
        """Return a copy asking for another model."""
        return replace(self, model=model)

    def to_openai(self) -> JsonObject:
        """Return the Chat Completions request body (``extra`` merged in, ``None`` left out)."""
        body: JsonObject = dict(self.extra)
        body.update(
            _drop_none(
                {
                    "model": self.model,
                    "messages": [m.to_dict() for m in self.messages],
                    "temperature": self.temperature,
                    "top_p": self.top_p,
                    "max_tokens": self.max_tokens,
                    "stop": list(self.stop) if self.stop is not None else None,
                    "tools": [dict(t) for t in self.tools] if self.tools is not None else None,
                    "tool_choice": self.tool_choice,
                    "response_format": self.response_format,
                    "seed": self.seed,
                }
            )
        )
        return body

    @classmethod
    def from_openai(cls, body: Mapping[str, Any], *, case_id: str | None = None) -> ChatRequest:
        """Read a Chat Completions request body; unknown fields go to ``extra``.

        ``stream`` and ``stream_options`` are dropped: providers return whole responses.
        """
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        stop = body.get("stop")
        tools = body.get("tools")
        return cls(
            model=str(body.get("model") or ""),
            messages=_messages(body.get("messages") or ()),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            max_tokens=int(max_tokens) if max_tokens is not None else None,
            stop=(stop,) if isinstance(stop, str) else (tuple(stop) if stop else None),
            tools=tuple(tools) if tools is not None else None,
            tool_choice=body.get("tool_choice"),
            response_format=body.get("response_format"),
            seed=body.get("seed"),
            extra={
                k: v
                for k, v in body.items()
                if k not in _KNOWN_FIELDS and k not in _TRANSPORT_FIELDS
            },
            case_id=case_id,
        )

    def to_dict(self) -> JsonObject:
        """Return a JSON-ready dict (the Chat Completions body plus ``case_id`` when set)."""
        data = self.to_openai()
        if self.case_id is not None:
            data["case_id"] = self.case_id
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChatRequest:
        """Inverse of :meth:`to_dict`."""
        body = dict(data)
        case_id = body.pop("case_id", None)
        return cls.from_openai(body, case_id=case_id)

    # -- identity ------------------------------------------------------------------------------

    def canonical_json(self) -> str:
        """Return the request as deterministic JSON: everything that can change the answer.

        Keys are sorted, ``None`` fields are left out and ``case_id`` is excluded, so
        two requests that would be sent identically serialise identically.
        """
        return json.dumps(
            self.to_openai(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )

    def cache_key(self) -> str:
        """Return the SHA-256 hex digest of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Usage:
    """Token counts of one call.

    ``input_tokens`` counts the whole prompt, cached part included; ``cached_tokens``
    is the part served from the provider's prompt cache (billed at the cached price).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> JsonObject:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Usage | None:
        """Read our form or the Chat Completions form (``prompt_tokens`` ...)."""
        if not data:
            return None
        details = data.get("prompt_tokens_details") or {}
        return cls(
            input_tokens=int(data.get("input_tokens", data.get("prompt_tokens", 0)) or 0),
            output_tokens=int(data.get("output_tokens", data.get("completion_tokens", 0)) or 0),
            cached_tokens=int(data.get("cached_tokens", details.get("cached_tokens", 0)) or 0),
        )


@dataclass(frozen=True)
class ChatResponse:
    """What a provider answered.

    ``finish_reason`` uses the Chat Completions values (``stop``, ``length``,
    ``tool_calls``, ``content_filter``). ``latency_ms`` is the wall time of the HTTP
    call in milliseconds (for a cache hit, of the original call). ``model`` is the model
    as served (the response's own ``model`` field). ``refusal`` carries the text of an
    explicit refusal when the platform reports one. ``cached`` is true when the answer
    came from recast's response cache, ``replayed`` when it was recorded earlier: neither
    cost anything. ``raw`` is the decoded wire response, for debugging and capture.
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    latency_ms: float | None = None
    model: str | None = None
    raw: JsonObject | None = None
    refusal: str | None = None
    cached: bool = False
    replayed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))

    @property
    def billed(self) -> bool:
        """True when producing this response spent money (a live call)."""
        return not (self.cached or self.replayed)

    def to_dict(self, *, include_raw: bool = True) -> JsonObject:
        """Return a JSON-ready dict (``raw`` left out when ``include_raw`` is false)."""
        data: JsonObject = {
            "text": self.text,
            "tool_calls": [call.to_dict() for call in self.tool_calls],
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict() if self.usage else None,
            "latency_ms": self.latency_ms,
            "model": self.model,
            "refusal": self.refusal,
            "cached": self.cached,
            "replayed": self.replayed,
        }
        if include_raw:
            data["raw"] = self.raw
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChatResponse:
        """Inverse of :meth:`to_dict`."""
        return cls(
            text=str(data.get("text") or ""),
            tool_calls=tuple(ToolCall.from_dict(c) for c in data.get("tool_calls") or ()),
            finish_reason=data.get("finish_reason"),
            usage=Usage.from_dict(data.get("usage")),
            latency_ms=data.get("latency_ms"),
            model=data.get("model"),
            raw=data.get("raw"),
            refusal=data.get("refusal"),
            cached=bool(data.get("cached", False)),
            replayed=bool(data.get("replayed", False)),
        )

    @classmethod
    def from_openai(
        cls, body: Mapping[str, Any], *, latency_ms: float | None = None
    ) -> ChatResponse:
        """Read a Chat Completions response body (the first choice).

        Raise ``ValueError`` when the body is not a chat completion.
        """
        choices = body.get("choices")
        if not isinstance(choices, Sequence) or not choices:
            raise ValueError("no 'choices' in the response")
        choice = choices[0]
        if not isinstance(choice, Mapping):
            raise ValueError("'choices[0]' is not an object")
        message = choice.get("message")
        if not isinstance(message, Mapping):
            raise ValueError("no 'choices[0].message' in the response")
        content = message.get("content")
        text = content_text(_content(content))
        return cls(
            text=text,
            tool_calls=tuple(ToolCall.from_dict(c) for c in message.get("tool_calls") or ()),
            finish_reason=choice.get("finish_reason"),
            usage=Usage.from_dict(body.get("usage")),
            latency_ms=latency_ms,
            model=body.get("model"),
            raw=dict(body),
            refusal=message.get("refusal") or None,
        )

    def to_openai(self, *, model: str | None = None) -> JsonObject:
        """Return a Chat Completions response body for this answer (as the gateway serves it)."""
        message: JsonObject = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.refusal:
            message["refusal"] = self.refusal
        body: JsonObject = {
            "object": "chat.completion",
            "model": model or self.model or "",
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
        }
        if self.usage:
            body["usage"] = {
                "prompt_tokens": self.usage.input_tokens,
                "completion_tokens": self.usage.output_tokens,
                "total_tokens": self.usage.total_tokens,
                "prompt_tokens_details": {"cached_tokens": self.usage.cached_tokens},
            }
        return body


@runtime_checkable
class Provider(Protocol):
    """Something that answers chat requests.

    ``name`` is how the candidate is called in reports; ``platform`` where it runs
    (``openai``, ``anthropic``, ``openai-compatible``, ``replay``, ...).
    ``identity`` names the endpoint and model override (never the key): the response
    cache keys on it. :meth:`complete` raises :class:`recast.errors.ProviderError`
    subclasses only.
    """

    @property
    def name(self) -> str: ...

    @property
    def platform(self) -> str: ...

    @property
    def identity(self) -> str: ...

    async def complete(self, request: ChatRequest) -> ChatResponse: ...


class ProviderWrapper:
    """Base for providers that add behaviour around another one (cache, limits).

    ``name``, ``platform`` and ``identity`` are the wrapped provider's, so wrapping
    never changes how a candidate is reported or cached.
    """

    def __init__(self, inner: Provider) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def platform(self) -> str:
        return self.inner.platform

    @property
    def identity(self) -> str:
        return self.inner.identity
