"""A scriptable fake OpenAI + Anthropic server on 127.0.0.1 for provider/audition/gateway tests.

A real HTTP server (Starlette on uvicorn, in a background thread, on a free port)::

    from providers.fakes import Drop, Fail, FakeLLMServer, Hang, Malformed, Reply

    with FakeLLMServer() as server:
        server.script(Fail(429, headers={"retry-after": "1"}), Reply("hello"))
        ...  # point a client at server.openai_url (".../v1") or server.url (Anthropic)
        assert server.request_count == 2
        assert server.max_in_flight <= 4

Routes: ``POST .../chat/completions`` (OpenAI, any prefix, so Azure's
``/openai/deployments/D/chat/completions`` works; SSE when ``"stream": true``, with a
usage-only final chunk when ``stream_options.include_usage``), ``POST .../messages``
(Anthropic; its SSE events when ``"stream": true``), ``GET .../models``. Every request
is recorded (path, query, headers, JSON body, arrival time) along with how many
requests were in flight at once.

Behaviours are taken from the script in arrival order, then from ``default`` (a
behaviour or a function of the recorded request). Without one, the server echoes the
last user message: ``Reply(f"echo: {prompt}")``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class ToolUse:
    """A tool call the fake model makes; ``arguments`` is a JSON-able dict."""

    name: str
    arguments: dict[str, Any]
    id: str = "call_1"


@dataclass(frozen=True)
class Reply:
    """Answer normally after ``latency`` seconds.

    ``usage`` is (input, output, cached) tokens; ``None`` computes it from word counts.
    ``model`` defaults to the requested model. ``finish_reason`` is given in OpenAI terms
    and translated for Anthropic.
    """

    text: str = "Hello from the fake model."
    tool_calls: tuple[ToolUse, ...] = ()
    usage: tuple[int, int, int] | None = None
    model: str | None = None
    finish_reason: str | None = None
    refusal: str | None = None
    latency: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fail:
    """Answer with an HTTP error; ``body`` defaults to an OpenAI-style error object."""

    status: int
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0


@dataclass(frozen=True)
class Hang:
    """Wait ``seconds`` (or until the client goes away), then answer like ``then``."""

    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class Malformed:
    """Send ``body`` as it is (not a valid completion)."""

    body: str = "{this is not json"
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Drop:
    """Start a 200 response, send a few bytes, then cut the connection."""

    after_bytes: bytes = b'{"id": "chatcmpl-cut", "choices": ['


class _Cut(Exception):
    """Raised inside a streaming body to make uvicorn drop the connection."""


Behaviour = Reply | Fail | Hang | Malformed | Drop


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival

    @property
    def prompt(self) -> str:
        """The text of the last user message (OpenAI or Anthropic body)."""
        messages = self.body.get("messages", []) if isinstance(self.body, dict) else []
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return _text(message.get("content"))
        return ""


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


def echo(request: RecordedRequest) -> Behaviour:
    """The default behaviour: ``Reply("echo: <last user message>")``."""
    return Reply(f"echo: {request.prompt}")


def _usage(reply: Reply, request: RecordedRequest) -> tuple[int, int, int]:
    if reply.usage is not None:
        return reply.usage
    prompt_words = len(json.dumps(request.body.get("messages", [])).split())
    return (max(prompt_words, 1), max(len(reply.text.split()), 1), 0)


_ANTHROPIC_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


class FakeLLMServer:
    """The fake server; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self, default: Behaviour | Callable[[RecordedRequest], Behaviour] = echo) -> None:
        self.default = default
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.completed = 0
        self.disconnects = 0
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake LLM server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (Anthropic base URL; Azure endpoint)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (OpenAI-compatible base URL)."""
        return f"{self.url}/v1"

    # -- scripting ---------------------------------------------------------------------------

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next requests, in arrival order."""
        with self._lock:
            self._script.extend(behaviours)

    def reset(self) -> None:
        """Wait (up to 5 s) for requests in flight, then forget script, requests and counters."""
        deadline = time.monotonic() + 5
        while self.in_flight > 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.in_flight = self.max_in_flight = self.completed = self.disconnects = 0

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def _next(self, recorded: RecordedRequest) -> Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
        default = self.default
        return default(recorded) if callable(default) else default

    # -- handling ----------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        path = request.url.path.rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            return JSONResponse(
                {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
            )
        if path.endswith("/chat/completions"):
            protocol = "openai"
        elif path.endswith("/messages"):
            protocol = "anthropic"
        else:
            return JSONResponse({"error": {"message": f"no route {path}"}}, status_code=404)
        with self._lock:
            self.requests.append(recorded)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._respond(protocol, recorded, request)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.completed += 1

    async def _sleep(self, seconds: float, request: Request) -> bool:
        """Sleep; return False (early) if the client disconnects meanwhile."""
        # With the body read, the next ASGI message is the disconnect: wait for it, no polling.
        watcher = asyncio.ensure_future(request.receive())
        try:
            done, _ = await asyncio.wait({watcher}, timeout=seconds)
            if watcher in done and watcher.result().get("type") == "http.disconnect":
                with self._lock:
                    self.disconnects += 1
                return False
            return True
        finally:
            if not watcher.done():
                watcher.cancel()

    async def _respond(
        self, protocol: str, recorded: RecordedRequest, request: Request
    ) -> Response:
        behaviour = self._next(recorded)
        if isinstance(behaviour, Hang):
            if not await self._sleep(behaviour.seconds, request):
                return Response(status_code=499)
            behaviour = behaviour.then or echo(recorded)
        if isinstance(behaviour, Drop):
            prefix = behaviour.after_bytes

            async def cut() -> AsyncIterator[bytes]:
                yield prefix
                raise _Cut("fake connection drop")

            return StreamingResponse(cut(), media_type="application/json")
        if isinstance(behaviour, Malformed):
            return Response(
                behaviour.body, status_code=behaviour.status, media_type=behaviour.content_type
            )
        if isinstance(behaviour, Fail):
            if behaviour.latency:
                await self._sleep(behaviour.latency, request)
            body = behaviour.body
            if body is None:
                body = {
                    "error": {
                        "message": f"fake failure {behaviour.status}",
                        "type": "fake_error",
                        "code": None,
                    }
                }
            if isinstance(body, str):
                return Response(body, status_code=behaviour.status, headers=behaviour.headers)
            return JSONResponse(body, status_code=behaviour.status, headers=behaviour.headers)
        assert isinstance(behaviour, Reply)
        if behaviour.latency:
            await self._sleep(behaviour.latency, request)
        streaming = isinstance(recorded.body, dict) and bool(recorded.body.get("stream"))
        if protocol == "anthropic" and streaming:
            return StreamingResponse(
                self._anthropic_stream(behaviour, recorded),
                media_type="text/event-stream",
                headers=behaviour.headers,
            )
        if protocol == "anthropic":
            return JSONResponse(self._anthropic(behaviour, recorded), headers=behaviour.headers)
        if streaming:
            return StreamingResponse(
                self._openai_stream(behaviour, recorded),
                media_type="text/event-stream",
                headers=behaviour.headers,
            )
        return JSONResponse(self._openai(behaviour, recorded), headers=behaviour.headers)

    # -- wire formats ------------------------------------------------------------------------

    @staticmethod
    def _model(reply: Reply, recorded: RecordedRequest) -> str:
        requested = recorded.body.get("model") if isinstance(recorded.body, dict) else None
        return reply.model or str(requested or "fake-model")

    def _openai(self, reply: Reply, recorded: RecordedRequest) -> dict[str, Any]:
        inp, out, cached = _usage(reply, recorded)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text if reply.text or not reply.tool_calls else None,
            "refusal": reply.refusal,
        }
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for call in reply.tool_calls
            ]
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        return {
            "id": f"chatcmpl-fake{len(self.requests)}",
            "object": "chat.completion",
            "created": 1700000000,
            "model": self._model(reply, recorded),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": inp,
                "completion_tokens": out,
                "total_tokens": inp + out,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
            "system_fingerprint": "fp_fake",
        }

    async def _openai_stream(self, reply: Reply, recorded: RecordedRequest) -> AsyncIterator[bytes]:
        model = self._model(reply, recorded)
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000}
        words = reply.text.split(" ")
        for index, word in enumerate(words):
            delta: dict[str, Any] = {"content": word if index == 0 else " " + word}
            if index == 0:
                delta["role"] = "assistant"
            chunk = {
                **base,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
            yield f"data: {json.dumps(chunk)}\n\n".encode()
        finish = reply.finish_reason or "stop"
        last = {
            **base,
            "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
        }
        yield f"data: {json.dumps(last)}\n\n".encode()
        options = recorded.body.get("stream_options") or {}
        if options.get("include_usage"):
            inp, out, cached = _usage(reply, recorded)
            usage_chunk = {
                **base,
                "model": model,
                "choices": [],
                "usage": {
                    "prompt_tokens": inp,
                    "completion_tokens": out,
                    "total_tokens": inp + out,
                    "prompt_tokens_details": {"cached_tokens": cached},
                },
            }
            yield f"data: {json.dumps(usage_chunk)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    def _anthropic(self, reply: Reply, recorded: RecordedRequest) -> dict[str, Any]:
        inp, out, cached = _usage(reply, recorded)
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        for call in reply.tool_calls:
            content.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
            )
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        return {
            "id": f"msg_fake{len(self.requests)}",
            "type": "message",
            "role": "assistant",
            "model": self._model(reply, recorded),
            "content": content,
            "stop_reason": _ANTHROPIC_STOP.get(finish, finish),
            "stop_sequence": None,
            "usage": {
                "input_tokens": inp - cached,
                "output_tokens": out,
                "cache_read_input_tokens": cached,
                "cache_creation_input_tokens": 0,
            },
        }

    async def _anthropic_stream(
        self, reply: Reply, recorded: RecordedRequest
    ) -> AsyncIterator[bytes]:
        """Messages streaming events: message_start, one text block in word deltas, the end."""
        message = self._anthropic(reply, recorded)
        usage = message["usage"]

        def event(name: str, data: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

        start = {**message, "content": [], "stop_reason": None}
        start["usage"] = {**usage, "output_tokens": 1}
        yield event("message_start", {"type": "message_start", "message": start})
        index = 0
        if reply.text:
            yield event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
            yield event("ping", {"type": "ping"})
            for number, word in enumerate(reply.text.split(" ")):
                delta = {"type": "text_delta", "text": word if number == 0 else " " + word}
                yield event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                )
            yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
            index = 1
        for offset, call in enumerate(reply.tool_calls):
            block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
            yield event(
                "content_block_start",
                {"type": "content_block_start", "index": index + offset, "content_block": block},
            )
            delta = {"type": "input_json_delta", "partial_json": json.dumps(call.arguments)}
            yield event(
                "content_block_delta",
                {"type": "content_block_delta", "index": index + offset, "delta": delta},
            )
            yield event(
                "content_block_stop", {"type": "content_block_stop", "index": index + offset}
            )
        yield event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
        yield event("message_stop", {"type": "message_stop"})


def main() -> None:
    """Run the fake server in the foreground: ``python tests/providers/fakes.py --port 8080``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    args = parser.parse_args()

    def slow_echo(request: RecordedRequest) -> Behaviour:
        return Reply(f"echo: {request.prompt}", latency=args.latency)

    server = FakeLLMServer(default=slow_echo)
    uvicorn.run(server.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
