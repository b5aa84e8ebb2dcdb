"""Real processes for the integration tier: the llama.cpp server, ``recast serve``, a proxy.

* :func:`start_llama_server` runs ``python -m llama_cpp.server`` (llama-cpp-python) on
  the Gemma 3 270M GGUF, on a free loopback port, and waits until it answers.
* :func:`start_gateway` runs ``recast serve`` as a subprocess, exactly as a user would.
* :class:`CountingProxy` sits between a client and the llama server, records every
  request (and whether its response was read to the end), and can hold requests back,
  so tests can count upstream calls and stop a run at a known point.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

#: The name the llama server gives its one model (``--model_alias``).
MODEL = "gemma-3-270m"

#: How llama-cpp-python renders chat messages for a base model without a chat template:
#: ``### Prompt: ...`` / ``### Response: ...`` lines, stopping at the next ``###``. The base
#: model continues that pattern: with example turns before the question it answers in the
#: examples' form ("Paris"), without them it drifts ("Germany is the capital of Germany.").
#: (Gemma's own ``<start_of_turn>`` format gives garbage on this base model.)
CHAT_FORMAT = "snoozy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file (for failure messages)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Process:
    """A server subprocess on 127.0.0.1 with its combined stdout/stderr log."""

    name: str
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log, lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` (then SIGKILL after ``timeout`` s); return the exit code."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return int(self.process.returncode)


def _spawn(name: str, argv: Sequence[str], log: Path, env: dict[str, str] | None = None) -> Any:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # a Ctrl-C on the test run does not reach it twice
        )


def wait_ready(proc: Process, path: str, deadline_s: float) -> None:
    """Poll ``GET url+path`` until it answers 200; raise with the log tail if it dies."""
    deadline = time.monotonic() + deadline_s
    last = "no answer yet"
    while True:
        if not proc.alive():
            raise RuntimeError(
                f"{proc.name} exited with status {proc.process.returncode} before it was "
                f"ready. Last lines of {proc.log}:\n{proc.log_tail()}"
            )
        try:
            reply = httpx.get(proc.url + path, timeout=5)
            if reply.status_code == 200:
                return
            last = f"HTTP {reply.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        if time.monotonic() > deadline:
            proc.stop(signal.SIGKILL)
            raise RuntimeError(
                f"{proc.name} was not ready after {deadline_s:.0f} s ({last}). "
                f"Last lines of {proc.log}:\n{proc.log_tail()}"
            )
        time.sleep(0.25)


def start_llama_server(model_path: Path, log: Path, *, threads: int = 2) -> Process:
    """Start llama-cpp-python's OpenAI-compatible server on ``model_path``; wait for it."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--chat_format",
        CHAT_FORMAT,
        # Queue concurrent requests instead of aborting the one being generated.
        "--interrupt_requests",
        "False",
    ]
    proc = Process(
        "llama-cpp-python server", f"http://127.0.0.1:{port}", _spawn("llama", argv, log), log
    )
    wait_ready(proc, "/v1/models", deadline_s=float(os.environ.get("RECAST_LLAMA_START_S", "180")))
    return proc


def recast_command() -> list[str]:
    """How to run the ``recast`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("recast")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from recast.cli.main import main; sys.exit(main())"]


def gateway_config(
    upstream_v1: str, store_url: str, routes: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A gateway config relaying every model to one local OpenAI-compatible server."""
    return {
        "routes": routes or {},
        "upstreams": [
            {
                "name": "local",
                "base_url": upstream_v1,
                "models": ["*"],
                "timeouts": {"connect": 5, "read": 300},
            }
        ],
        "access": {"require_key": False},
        "capture": {"store": store_url, "batch_size": 1},
        "catalog_lifecycles": False,
    }


@contextlib.contextmanager
def start_gateway(config: dict[str, Any], workdir: Path) -> Iterator[Process]:
    """Run ``recast serve --config`` on a free port until the block ends (then SIGTERM)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "gateway.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    argv = [
        *recast_command(),
        "serve",
        "--config",
        str(config_path),
        "--port",
        str(port),
        "--no-watch",
        "--log-level",
        "info",
    ]
    log = workdir / "gateway.log"
    proc = Process("recast serve", f"http://127.0.0.1:{port}", _spawn("gateway", argv, log), log)
    try:
        wait_ready(proc, "/healthz", deadline_s=60)
        yield proc
    finally:
        proc.stop(signal.SIGTERM, timeout=60)


# -- a counting proxy -----------------------------------------------------------------------


@dataclass
class Seen:
    """One request the proxy relayed."""

    method: str
    path: str
    body: Any  # parsed JSON, or None
    status: int | None = None
    completed: bool = False  # the whole response body was relayed
    relayed: bytearray = field(default_factory=bytearray)  # the response body, as relayed
    closed: bool = False  # the relay has ended (completed, or the client went away)

    def events(self) -> list[str]:
        """The ``data:`` payloads of a relayed server-sent event stream, in order."""
        text = self.relayed.decode("utf-8", errors="replace")
        return [
            line[len("data:") :].strip() for line in text.splitlines() if line.startswith("data:")
        ]

    @property
    def prompt(self) -> str:
        """The last user message's text (chat) or the prompt (completions)."""
        if not isinstance(self.body, dict):
            return ""
        for message in reversed(self.body.get("messages") or []):
            if message.get("role") == "user":
                return str(message.get("content"))
        return str(self.body.get("prompt", ""))


@dataclass
class CountingProxy:
    """An HTTP pass-through to ``upstream`` (``http://127.0.0.1:PORT``) that records requests.

    ``hold_after = N`` makes every request after the N-th wait (unanswered) until
    :meth:`release`; the held requests are recorded as they arrive.
    """

    upstream: str
    requests: list[Seen] = field(default_factory=list)
    hold_after: int | None = None
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    def calls(self, path_suffix: str = "/chat/completions") -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    def release(self) -> None:
        self.hold_after = None

    def wait_for(self, predicate: Any, timeout: float = 120.0) -> None:
        """Block until ``predicate(self)`` is true (raise AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"proxy condition not met in {timeout:.0f} s: {self.requests}")
            time.sleep(0.05)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self._client = httpx.AsyncClient(base_url=self.upstream, timeout=600)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self._client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        from starlette.requests import Request
        from starlette.responses import StreamingResponse

        request = Request(scope, receive)
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        seen = Seen(request.method, request.url.path, body)
        with self._lock:
            self.requests.append(seen)
            number = len(self.requests)
        while self.hold_after is not None and number > self.hold_after:
            await asyncio.sleep(0.02)
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() not in ("host", "content-length", "connection", "accept-encoding")
        }
        upstream = await self._client.send(
            self._client.build_request(
                request.method, request.url.path, content=raw, headers=headers
            ),
            stream=True,
        )
        seen.status = upstream.status_code

        async def relay() -> Any:
            try:
                async for chunk in upstream.aiter_raw():
                    seen.relayed += chunk
                    yield chunk
                seen.completed = True
            finally:
                seen.closed = True
                await upstream.aclose()

        passed = {
            k: v
            for k, v in upstream.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        }
        response = StreamingResponse(relay(), status_code=upstream.status_code, headers=passed)
        await response(scope, receive, send)


@contextlib.contextmanager
def run_proxy(upstream: str, hold_after: int | None = None) -> Iterator[CountingProxy]:
    """Serve a :class:`CountingProxy` to ``upstream`` on a free port, in a thread."""
    proxy = CountingProxy(upstream, hold_after=hold_after)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            proxy, host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the counting proxy did not start")
        time.sleep(0.01)
    proxy.url = f"http://127.0.0.1:{port}"
    try:
        yield proxy
    finally:
        proxy.release()
        server.should_exit = True
        thread.join(15)
