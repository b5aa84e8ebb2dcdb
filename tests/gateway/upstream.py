"""A fake OpenAI/Anthropic upstream on 127.0.0.1 for gateway tests (a real HTTP server).

The requested model picks the behaviour, so one server covers every failure class:

* ``*fail500*`` → HTTP 500, ``*fail429*`` → 429, ``*missing*`` → 404 model_not_found
* ``*slow<ms>*`` (``gpt-slow250``) → answers after that many milliseconds
* ``*hang*`` → never answers (the gateway's read timeout fires)
* ``*drop*`` → closes the connection without answering
* anything else → a normal answer naming the model, streamed when ``"stream": true``

Every request is recorded (path, headers, body bytes) in :attr:`FakeUpstream.requests`.
The response carries ``"created": 1732700000``, a dated ``model`` and an unknown field
``x_unknown`` so tests can check they pass through untouched.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATED = 1732700000


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def served_name(model: str) -> str:
    """The ``model`` the fake answers with: the requested one plus a date, as OpenAI does."""
    return f"{model}-2024-07-18"


def chat_completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake123",
        "object": "chat.completion",
        "created": CREATED,
        "model": served_name(model),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        "system_fingerprint": "fp_fake",
        "x_unknown": {"kept": True},
    }


def chat_chunks(model: str, text: str, include_usage: bool) -> list[dict[str, Any]]:
    base = {
        "id": "chatcmpl-fake123",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": served_name(model),
        "system_fingerprint": "fp_fake",
    }
    chunks = [
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    ]
    for word in text.split(" "):
        chunks.append(
            {
                **base,
                "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}],
            }
        )
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if include_usage:
        chunks.append(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        )
    return chunks


def anthropic_message(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "msg_fake123",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 6},
    }


def anthropic_events(model: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    start = anthropic_message(model, "")
    start["content"] = []
    start["stop_reason"] = None
    start["usage"] = {"input_tokens": 12, "output_tokens": 1}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
    ]
    for word in text.split(" "):
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word + " "},
                },
            )
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 6},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def answer_text(body: dict[str, Any]) -> str:
    """The fake's answer: it repeats the last user message after 'echo:'."""
    last = ""
    for message in body.get("messages") or ():
        content = message.get("content")
        if isinstance(content, str):
            last = content
        elif isinstance(content, list):
            last = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not last and isinstance(body.get("input"), str):
        last = body["input"]
    if not last and isinstance(body.get("prompt"), str):
        last = body["prompt"]
    return f"echo: {last}".strip()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "no such path"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        with self.server.lock:
            self.server.requests.append(Recorded(self.path, dict(self.headers.items()), raw))
        try:
            body = json.loads(raw)
        except ValueError:
            self._json(400, {"error": {"message": "bad json"}})
            return
        model = str(body.get("model", ""))
        if "drop" in model:
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if "hang" in model:
            time.sleep(self.server.hang_seconds)
            self.close_connection = True
            return
        slow = re.search(r"slow(\d+)", model)
        if slow:
            time.sleep(int(slow.group(1)) / 1000)
        if "fail500" in model:
            self._json(500, {"error": {"message": "upstream exploded", "type": "server_error"}})
            return
        if "fail429" in model:
            self._json(
                429,
                {"error": {"message": "Rate limit reached", "type": "requests"}},
                extra={"retry-after": "1"},
            )
            return
        if "missing" in model:
            self._json(
                404,
                {
                    "error": {
                        "message": f"The model `{model}` does not exist",
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                    }
                },
            )
            return
        text = answer_text(body)
        stream = body.get("stream") is True
        path = self.path
        if path.endswith("/chat/completions"):
            if stream:
                include = bool((body.get("stream_options") or {}).get("include_usage"))
                self._sse([(None, c) for c in chat_chunks(model, text, include)], done=True)
            else:
                self._json(200, chat_completion(model, text))
        elif path.endswith("/messages"):
            if stream:
                self._sse(anthropic_events(model, text), done=False)
            else:
                self._json(200, anthropic_message(model, text))
        elif path.endswith("/completions"):
            self._json(
                200,
                {
                    "id": "cmpl-fake",
                    "object": "text_completion",
                    "created": CREATED,
                    "model": served_name(model),
                    "choices": [
                        {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
                    ],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
                },
            )
        elif path.endswith("/embeddings"):
            self._json(
                200,
                {
                    "object": "list",
                    "model": served_name(model),
                    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                    "usage": {"prompt_tokens": 3, "total_tokens": 3},
                },
            )
        elif path.endswith("/responses"):
            response = {
                "id": "resp_fake",
                "object": "response",
                "created_at": CREATED,
                "status": "completed",
                "model": served_name(model),
                "output": [
                    {
                        "type": "message",
                        "id": "msg_1",
                        "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": text, "annotations": []}],
                    }
                ],
                "usage": {"input_tokens": 5, "output_tokens": 4, "total_tokens": 9},
            }
            if stream:
                self._sse(
                    [
                        (
                            "response.created",
                            {
                                "type": "response.created",
                                "response": {**response, "status": "in_progress"},
                            },
                        ),
                        (
                            "response.completed",
                            {"type": "response.completed", "response": response},
                        ),
                    ],
                    done=False,
                )
            else:
                self._json(200, response)
        else:
            self._json(404, {"error": {"message": "no such path"}})

    def _json(self, status: int, document: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", "req_fake")
        self.send_header("x-upstream-secret-host", "internal.example")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[tuple[str | None, Any]], done: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for name, data in events:
                frame = (f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n"
                self._chunk(frame.encode())
                if self.server.chunk_delay:
                    time.sleep(self.server.chunk_delay)
            if done:
                self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            with self.server.lock:
                self.server.broken_streams += 1
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.hang_seconds = 5.0
        self.chunk_delay = 0.0
        self.broken_streams = 0


class FakeUpstream:
    """Start with ``with FakeUpstream() as up:``; ``up.url`` is its ``/v1`` base URL."""

    def __init__(self) -> None:
        self.server = _Server()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[Recorded]:
        return self.server.requests

    def set(self, *, hang_seconds: float | None = None, chunk_delay: float | None = None) -> None:
        if hang_seconds is not None:
            self.server.hang_seconds = hang_seconds
        if chunk_delay is not None:
            self.server.chunk_delay = chunk_delay

    def start(self) -> FakeUpstream:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
