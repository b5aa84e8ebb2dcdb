"""Do recast's provider limits keep an upstream as busy as configured?

Runs ``LimitedProvider`` over ``OpenAICompatProvider`` against the fake upstream of
``tests/providers/fakes.py`` (a real uvicorn server on 127.0.0.1, in its own process)
with injected latency:

* concurrency-bound: ``--concurrency C`` calls in flight, each taking ``--latency L``
  seconds, so the ideal rate is C / L requests/s;
* rpm-bound: ``--rpm R`` with ample concurrency, ideal R / 60 requests/s.

Prints achieved vs ideal and the ratio (target: at least 0.90), and ``slot_use``: the
mean share of the concurrency slots holding a call in flight (1.00 = never idle; for
the rpm run it is relative to the larger concurrency cap). Usage::

    .venv/bin/python bench/providers_limits.py [--requests 320] [--concurrency 32]
        [--latency 1.0] [--rpm 1200]

Both sides are Python on the same machine. Each call costs ~3 ms of client CPU at 32
connections, mostly in httpx, and httpcore's pool gets costlier per call as connections
grow (~11 ms at 64 here), so on a busy 2-core box keep the ideal rate near real provider
limits (tens of requests/s), as the defaults do.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from recast.providers import (
    ChatMessage,
    ChatRequest,
    ChatResponse,
    LimitedProvider,
    Limits,
    OpenAICompatProvider,
)

FAKES = Path(__file__).resolve().parent.parent / "tests" / "providers" / "fakes.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/models", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"the fake upstream at {url} did not start")


class _Timed:
    """Adds up the time calls spend inside the provider (slot busy time)."""

    def __init__(self, inner: OpenAICompatProvider) -> None:
        self.inner = inner
        self.name, self.platform, self.identity = inner.name, inner.platform, inner.identity
        self.busy = 0.0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        started = time.perf_counter()
        try:
            return await self.inner.complete(request)
        finally:
            self.busy += time.perf_counter() - started


async def _run(url: str, limits: Limits, requests: int) -> tuple[float, int, float]:
    """Send ``requests`` calls through the limits.

    Return (requests/s, max in flight, mean share of the concurrency slots in use).
    """
    pool = httpx.Limits(max_connections=limits.concurrency, max_keepalive_connections=None)
    async with httpx.AsyncClient(timeout=30, limits=pool) as http:
        timed = _Timed(OpenAICompatProvider(http, base_url=url))
        provider = LimitedProvider(timed, limits)

        def ask(text: str) -> ChatRequest:
            return ChatRequest(model="m", messages=[ChatMessage("user", text)])

        # Warm the connection pool so connection setup is not measured.
        await asyncio.gather(*(provider.complete(ask("warm")) for _ in range(limits.concurrency)))
        provider.max_in_flight = 0
        timed.busy = 0.0
        started = time.perf_counter()
        await asyncio.gather(*(provider.complete(ask(str(i))) for i in range(requests)))
        elapsed = time.perf_counter() - started
    use = timed.busy / (elapsed * limits.concurrency)
    return requests / elapsed, provider.max_in_flight, use


def _row(bound: str, ideal: float, result: tuple[float, int, float]) -> str:
    achieved, in_flight, use = result
    ratio = achieved / ideal
    return f"{bound:<11}  {ideal:9.1f}  {achieved:12.1f}  {ratio:5.2f}  {in_flight:13}  {use:8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--rpm", type=float, default=1200.0)
    args = parser.parse_args()

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(FAKES), "--port", str(port), "--latency", str(args.latency)]
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(url)
        print("bound        ideal_rps  achieved_rps  ratio  max_in_flight  slot_use")
        limits = Limits(concurrency=args.concurrency, timeout=30)
        result = asyncio.run(_run(url, limits, args.requests))
        print(_row("concurrency", args.concurrency / args.latency, result))
        limits = Limits(concurrency=max(48, args.concurrency), rpm=args.rpm, timeout=30)
        result = asyncio.run(_run(url, limits, args.requests))
        print(_row("rpm", args.rpm / 60.0, result))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
