"""A small HTTP/1.1 client for upstreams: keep-alive pooling, streaming bodies, cheap timeouts.

Why not httpx: on the gateway's hot path httpx's ``AsyncClient`` costs several hundred
microseconds per request (py-spy under ``bench/gateway_bench.py``); this client writes
the request in one ``transport.write`` and parses the answer with ``httptools`` (the parser
uvicorn uses), which keeps the upstream side at a few tens of microseconds.

Each :class:`UpstreamPool` talks to one origin (scheme, host, port). Timeouts are timer
handles on the event loop, not ``asyncio.wait_for`` wrappers: ``connect`` bounds opening a
connection, ``read`` bounds the wait for the response head and for each later body chunk,
``total`` bounds the whole exchange.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httptools

Headers = list[tuple[bytes, bytes]]


class UpstreamConnectError(Exception):
    """The upstream could not be reached (refused, DNS, TLS, connect timeout)."""


class UpstreamTimeout(Exception):
    """The upstream did not answer (or stopped sending) within the read/total timeout."""


class UpstreamProtocolError(Exception):
    """The upstream closed the connection or sent something that is not HTTP/1.1."""


_MAX_BUFFER = 1 << 20  # pause reading once this much body is queued and unread


class _Connection(asyncio.Protocol):
    """One keep-alive connection; serves one exchange at a time."""

    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.response: UpstreamResponse | None = None
        self.head: asyncio.Future[None] | None = None
        self.got_bytes = False
        self.reading_paused = False

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamProtocolError(f"malformed HTTP response: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        response = self.response
        if response is not None and not response.complete:
            self._fail(UpstreamProtocolError("connection closed before the response ended"))

    def pause_writing(self) -> None:  # pragma: no cover - large request bodies only
        pass

    def resume_writing(self) -> None:  # pragma: no cover
        pass

    # -- httptools callbacks -------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        if self.response is not None:
            self.response.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        response = self.response
        if response is None:
            return
        response.status = self.parser.get_status_code()
        head = self.head
        if head is not None and not head.done():
            head.set_result(None)

    def on_body(self, body: bytes) -> None:
        response = self.response
        if response is not None:
            response._feed(body)
            if response._buffered > _MAX_BUFFER and not self.reading_paused and self.transport:
                self.reading_paused = True
                self.transport.pause_reading()

    def on_message_complete(self) -> None:
        response = self.response
        if response is None:
            return
        keep = self.parser.should_keep_alive()
        response._finish(keep_alive=keep)

    # -- helpers ---------------------------------------------------------------------------
    def _fail(self, exc: Exception) -> None:
        head = self.head
        if head is not None and not head.done():
            head.set_exception(exc)
        if self.response is not None:
            self.response._error(exc)

    def resume(self) -> None:
        if self.reading_paused and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class UpstreamResponse:
    """The answer of an upstream: status and headers at once, the body read or iterated.

    Always finish with :meth:`read`, full iteration, or :meth:`aclose` so the connection
    goes back to the pool (or is dropped when the body was not read to the end).
    """

    __slots__ = (
        "_buffered",
        "_chunks",
        "_conn",
        "_exc",
        "_read_timeout",
        "_released",
        "_timer",
        "_waiter",
        "complete",
        "headers",
        "keep_alive",
        "status",
    )

    def __init__(self, conn: _Connection, read_timeout: float) -> None:
        self._conn = conn
        self.status = 0
        self.headers: Headers = []
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._exc: Exception | None = None
        self.complete = False
        self.keep_alive = False
        self._released = False
        self._read_timeout = read_timeout
        self._timer: asyncio.TimerHandle | None = None

    def header(self, name: bytes) -> bytes | None:
        """Return the first value of a header (``name`` in lower case)."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    # fed by the connection
    def _feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        self._wake()

    def _finish(self, keep_alive: bool) -> None:
        self.complete = True
        self.keep_alive = keep_alive
        self._wake()

    def _error(self, exc: Exception) -> None:
        if self._exc is None:
            self._exc = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_timeout(self) -> None:
        self._error(UpstreamTimeout("the upstream stopped sending within the read timeout"))
        self._conn.abort()

    async def _wait(self) -> None:
        loop = self._conn.loop
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter
        timer = loop.call_later(self._read_timeout, self._on_timeout)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def next_chunk(self) -> bytes | None:
        """Return the next body chunk as it arrived, or ``None`` at the end of the body."""
        while True:
            if self._chunks:
                data = self._chunks.popleft()
                self._buffered -= len(data)
                if self._buffered < _MAX_BUFFER // 2:
                    self._conn.resume()
                return data
            if self._exc is not None:
                self._release(reuse=False)
                raise self._exc
            if self.complete:
                self._release(reuse=self.keep_alive)
                return None
            await self._wait()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        while True:
            chunk = await self.next_chunk()
            if chunk is None:
                return
            yield chunk

    async def read(self) -> bytes:
        """Read the whole body."""
        parts = []
        while True:
            chunk = await self.next_chunk()
            if chunk is None:
                break
            parts.append(chunk)
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def aclose(self) -> None:
        """Stop reading: drop the connection unless the body was complete."""
        if not self._released:
            self._release(reuse=self.complete and self.keep_alive and self._exc is None)

    def _release(self, reuse: bool) -> None:
        if self._released:
            return
        self._released = True
        self._conn.response = None
        self._conn.pool._release(self._conn, reuse and not self._conn.closed)


class UpstreamPool:
    """Keep-alive connections to one origin, at most ``limit`` exchanges at once."""

    def __init__(
        self,
        base_url: str,
        *,
        limit: int = 256,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        loop: asyncio.AbstractEventLoop | None = None,
        max_idle: int = 512,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = parts.hostname
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        default_port = self.port == (443 if self.tls else 80)
        host_header = self.host if default_port else f"{self.host}:{self.port}"
        self.host_header = host_header.encode("ascii")
        self.base_path = parts.path.rstrip("/")
        self.limit = limit
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.loop = loop or asyncio.get_running_loop()
        self._idle: deque[_Connection] = deque()
        self._max_idle = max_idle
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if self.tls else None
        self.in_flight = 0
        self.closed = False

    async def _connect(self) -> _Connection:
        conn = _Connection(self)
        try:
            await asyncio.wait_for(
                self.loop.create_connection(
                    lambda: conn,
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self.tls else None,
                ),
                self.connect_timeout,
            )
        except asyncio.TimeoutError as exc:
            raise UpstreamConnectError(f"connect timed out after {self.connect_timeout}s") from exc
        except OSError as exc:
            raise UpstreamConnectError(str(exc) or type(exc).__name__) from exc
        return conn

    async def _slot(self) -> None:
        if self._active < self.limit:
            self._active += 1
            return
        waiter: asyncio.Future[None] = self.loop.create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._free_slot()
            raise

    def _free_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to the waiter
                return
        self._active -= 1

    def _release(self, conn: _Connection, reuse: bool) -> None:
        self.in_flight -= 1
        if reuse and not self.closed and len(self._idle) < self._max_idle:
            self._idle.append(conn)
        else:
            conn.abort()
        self._free_slot()

    async def request(
        self,
        method: bytes,
        path: str,
        headers: Headers,
        body: bytes,
    ) -> UpstreamResponse:
        """Send one request and return once the response head has arrived.

        ``path`` is appended to the base URL's path. Raises :class:`UpstreamConnectError`,
        :class:`UpstreamTimeout` or :class:`UpstreamProtocolError`.
        """
        await self._slot()
        self.in_flight += 1
        head_lines = [
            method,
            b" ",
            (self.base_path + path).encode("ascii"),
            b" HTTP/1.1\r\nhost: ",
            self.host_header,
            b"\r\ncontent-length: ",
            str(len(body)).encode("ascii"),
            b"\r\n",
        ]
        for name, value in headers:
            head_lines += [name, b": ", value, b"\r\n"]
        head_lines.append(b"\r\n")
        payload = b"".join(head_lines) + body
        attempt = 0
        try:
            while True:
                attempt += 1
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                if conn.closed:
                    continue
                response = UpstreamResponse(conn, self.read_timeout)
                conn.response = response
                conn.got_bytes = False
                head: asyncio.Future[None] = self.loop.create_future()
                conn.head = head
                assert conn.transport is not None
                conn.transport.write(payload)
                timer = self.loop.call_later(self.read_timeout, _head_timeout, conn, head)
                try:
                    await head
                except UpstreamProtocolError:
                    conn.abort()
                    # a kept-alive connection the upstream had already closed: retry once
                    if reused and not conn.got_bytes and attempt < 3:
                        conn.response = None
                        continue
                    raise
                except BaseException:
                    conn.abort()
                    raise
                finally:
                    timer.cancel()
                    conn.head = None
                return response
        except BaseException:
            self.in_flight -= 1
            self._free_slot()
            raise

    def close(self) -> None:
        """Close every idle connection; connections still in use close when released.

        After a reload the old config's pools are closed: requests still under way
        finish on their connections, which are then dropped instead of kept idle.
        """
        self.closed = True
        while self._idle:
            self._idle.pop().abort()


def _head_timeout(conn: _Connection, head: asyncio.Future[Any]) -> None:
    if not head.done():
        head.set_exception(UpstreamTimeout("no response head within the read timeout"))
    conn.abort()
