"""Read relayed response bodies: token usage, and streams assembled into answers.

A streamed answer is assembled from its server-sent events into the shape of the
non-streamed answer (OpenAI chat completion, Anthropic message, or the Responses API's
final ``response.completed`` object), so ``recast audition --from-store`` reads streamed
and non-streamed exchanges alike. The store keeps streams as relayed and assembles them
when they are read; the gateway uses :func:`quick_usage` for its metrics.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_PROMPT = re.compile(rb'"(?:prompt_tokens|input_tokens)"\s*:\s*(\d+)')
_COMPLETION = re.compile(rb'"(?:completion_tokens|output_tokens)"\s*:\s*(\d+)')
_CACHED = re.compile(rb'"(?:cached_tokens|cache_read_input_tokens)"\s*:\s*(\d+)')


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None


def quick_usage(body: bytes) -> Usage:
    """Token counts found in a body without parsing it (last occurrence wins)."""
    tail = body[-2048:] if len(body) > 2048 else body
    found = [_PROMPT.findall(tail), _COMPLETION.findall(tail), _CACHED.findall(tail)]
    if not found[1] and len(body) > 2048:
        found = [_PROMPT.findall(body), _COMPLETION.findall(body), _CACHED.findall(body)]
    return Usage(
        int(found[0][-1]) if found[0] else None,
        int(found[1][-1]) if found[1] else None,
        int(found[2][-1]) if found[2] else None,
    )


def usage_of(document: Any) -> Usage:
    """Token counts of a parsed OpenAI/Anthropic/Responses body."""
    if not isinstance(document, dict):
        return Usage()
    usage = document.get("usage")
    if not isinstance(usage, dict):
        return Usage()
    inp = usage.get("prompt_tokens", usage.get("input_tokens"))
    out = usage.get("completion_tokens", usage.get("output_tokens"))
    cached = None
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details")
    if isinstance(details, dict):
        cached = details.get("cached_tokens")
    if cached is None:
        cached = usage.get("cache_read_input_tokens")
    return Usage(_int(inp), _int(out), _int(cached))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def sse_events(raw: bytes | str) -> list[tuple[str | None, Any]]:
    """The (event name, decoded data) pairs of a server-sent event stream."""
    events: list[tuple[str | None, Any]] = []
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    text = text.replace("\r\n", "\n")
    for block in text.split("\n\n"):
        name: str | None = None
        data_lines = []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].lstrip(" "))
        if not data_lines:
            continue
        data = "\n".join(data_lines)
        if data == "[DONE]":
            continue
        try:
            events.append((name, json.loads(data)))
        except ValueError:
            events.append((name, data))
    return events


def assemble_stream(raw: bytes | str) -> tuple[Any, Usage]:
    """Assemble a streamed answer into its non-streamed shape, with its usage."""
    events = sse_events(raw)
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    if not events:
        return text, Usage()
    first = next((data for _, data in events if isinstance(data, dict)), None)
    if first is None:
        return text, Usage()
    kind = first.get("type") if isinstance(first.get("type"), str) else None
    if first.get("object") == "chat.completion.chunk":
        return _assemble_chat(events)
    if first.get("object") == "text_completion":
        return _assemble_text_completion(events)
    if (kind and kind.startswith("message_")) or kind == "ping":
        return _assemble_anthropic(events)
    if kind and kind.startswith("response."):
        for _, data in reversed(events):
            if isinstance(data, dict) and data.get("type") in (
                "response.completed",
                "response.incomplete",
                "response.failed",
            ):
                response = data.get("response")
                return response, usage_of(response)
    return {"events": [data for _, data in events]}, Usage()


def _assemble_chat(events: list[tuple[str | None, Any]]) -> tuple[Any, Usage]:
    result: dict[str, Any] = {}
    choices: dict[int, dict[str, Any]] = {}
    usage: Any = None
    for _, chunk in events:
        if not isinstance(chunk, dict):
            continue
        for key in ("id", "created", "model", "system_fingerprint", "service_tier"):
            if key in chunk and key not in result:
                result[key] = chunk[key]
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            index = choice.get("index", 0)
            slot = choices.setdefault(
                index,
                {
                    "index": index,
                    "message": {"role": "assistant", "content": None},
                    "finish_reason": None,
                    "_tools": {},
                },
            )
            delta = choice.get("delta") or {}
            message = slot["message"]
            if delta.get("role"):
                message["role"] = delta["role"]
            if isinstance(delta.get("content"), str):
                message["content"] = (message["content"] or "") + delta["content"]
            if isinstance(delta.get("refusal"), str):
                message["refusal"] = (message.get("refusal") or "") + delta["refusal"]
            for call in delta.get("tool_calls") or ():
                tools = slot["_tools"]
                entry = tools.setdefault(
                    call.get("index", len(tools)),
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if call.get("id"):
                    entry["id"] = call["id"]
                function = call.get("function") or {}
                if function.get("name"):
                    entry["function"]["name"] += function["name"]
                if function.get("arguments"):
                    entry["function"]["arguments"] += function["arguments"]
            if choice.get("finish_reason"):
                slot["finish_reason"] = choice["finish_reason"]
    out_choices = []
    for index in sorted(choices):
        slot = choices[index]
        tools = slot.pop("_tools")
        if tools:
            slot["message"]["tool_calls"] = [tools[i] for i in sorted(tools)]
        out_choices.append(slot)
    result["object"] = "chat.completion"
    result["choices"] = out_choices
    if usage is not None:
        result["usage"] = usage
    return result, usage_of(result)


def _assemble_text_completion(events: list[tuple[str | None, Any]]) -> tuple[Any, Usage]:
    result: dict[str, Any] = {"object": "text_completion"}
    texts: dict[int, str] = {}
    finish: dict[int, Any] = {}
    for _, chunk in events:
        if not isinstance(chunk, dict):
            continue
        for key in ("id", "created", "model"):
            result.setdefault(key, chunk.get(key))
        if chunk.get("usage"):
            result["usage"] = chunk["usage"]
        for choice in chunk.get("choices") or ():
            index = choice.get("index", 0)
            texts[index] = texts.get(index, "") + (choice.get("text") or "")
            if choice.get("finish_reason"):
                finish[index] = choice["finish_reason"]
    result["choices"] = [
        {"index": i, "text": texts[i], "finish_reason": finish.get(i)} for i in sorted(texts)
    ]
    return result, usage_of(result)


def _assemble_anthropic(events: list[tuple[str | None, Any]]) -> tuple[Any, Usage]:
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    partial_json: dict[int, str] = {}
    usage: dict[str, Any] = {}
    for _, event in events:
        if not isinstance(event, dict):
            continue
        kind = event.get("type")
        if kind == "message_start":
            message = dict(event.get("message") or {})
            usage.update(message.get("usage") or {})
        elif kind == "content_block_start":
            blocks[event.get("index", len(blocks))] = dict(event.get("content_block") or {})
        elif kind == "content_block_delta":
            index = event.get("index", 0)
            block = blocks.setdefault(index, {"type": "text", "text": ""})
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta":
                block["text"] = block.get("text", "") + delta.get("text", "")
            elif delta.get("type") == "input_json_delta":
                partial_json[index] = partial_json.get(index, "") + delta.get("partial_json", "")
            elif delta.get("type") == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
        elif kind == "message_delta":
            delta = event.get("delta") or {}
            for key in ("stop_reason", "stop_sequence"):
                if key in delta:
                    message[key] = delta[key]
            usage.update(event.get("usage") or {})
    for index, text in partial_json.items():
        try:
            blocks[index]["input"] = json.loads(text) if text else {}
        except ValueError:
            blocks[index]["input"] = text
    message["content"] = [blocks[i] for i in sorted(blocks)]
    if usage:
        message["usage"] = usage
    return message, usage_of(message)
