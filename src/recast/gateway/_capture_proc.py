"""Capture in separate processes, so storing traffic takes nothing from serving it.

Writing an exchange to SQLite (the row, its indexes, the WAL, redaction checks) costs a
fair share of what relaying it costs. :class:`ProcessCapture` only appends each exchange
to a bounded queue in the gateway; a sender thread pickles batches into a pipe. A
*buffer* process, at normal priority, takes them off the pipe at once and holds up to
``capture.buffer_mb``; the *writer* process, at the lowest CPU priority (nice 19), turns
them into :class:`recast.store.CapturedExchange` rows and writes them. While a core is
free the writer keeps up within a batch interval; when the gateway saturates the CPU,
the writer yields and the buffer absorbs the backlog, which is written as soon as the
load drops. A full buffer drops batches and counts them.

Accounting, for metrics and tests: ``accepted == captured + failed + pending`` and
``dropped`` counts what a full queue or buffer refused.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import struct
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from recast.gateway._app import Exchange
from recast.gateway._config import CaptureConfig

log = logging.getLogger("recast.gateway.capture")

# shared counters: accepted by the writer, captured, dropped by the buffer, failed, flushes
_ACCEPTED, _CAPTURED, _DROPPED, _FAILED, _DONE = range(5)

#: A batch on the wire: ``B``, the number of exchanges (uint32), the pickled list.
_BATCH = b"B"
_FLUSH = b"flush"
_END = b""


def _frame(batch: list[Exchange]) -> bytes:
    return _BATCH + struct.pack("<I", len(batch)) + pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)


def _count(payload: bytes) -> int:
    return int(struct.unpack_from("<I", payload, 1)[0]) if payload[:1] == _BATCH else 0


def _buffer_main(inbound: Connection, outbound: Connection, counters: Any, limit: int) -> None:
    """The buffer process: take batches from the gateway at once, hand them on at the
    writer's pace, hold at most ``limit`` bytes (beyond that, count batches as dropped).

    It runs at normal priority and only moves bytes, so the gateway's sender never
    waits on the writer, which runs at the lowest priority.
    """
    queue: deque[bytes] = deque()
    held = 0
    ready = threading.Condition()

    def forward() -> None:
        nonlocal held
        while True:
            with ready:
                ready.wait_for(lambda: bool(queue))
                payload = queue.popleft()
                held -= len(payload)
            try:
                outbound.send_bytes(payload)
            except OSError:
                return
            if payload == _END:
                return

    thread = threading.Thread(target=forward, name="recast-capture-forward", daemon=True)
    thread.start()
    while True:
        try:
            payload = inbound.recv_bytes()
        except (EOFError, OSError):
            payload = _END
        with ready:
            if payload[:1] == _BATCH and held + len(payload) > limit:
                counters[_DROPPED] += _count(payload)
                continue
            queue.append(payload)
            held += len(payload)
            ready.notify()
        if payload == _END:
            break
    thread.join()


def _lower_priority() -> None:
    """Yield the CPU to the gateway: nice 19, so serving comes first on a busy machine.

    Not ``SCHED_IDLE``: under sustained saturation it would never run, holding the
    store's write lock (and everyone else's writes) while it waits for an idle core.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.nice(19)


def _writer_main(
    url: str | None, config_json: str, conn: Connection, counters: Any, ready: Any
) -> None:
    """The writer process: receive pickled batches until the end marker, write them, report."""
    from recast.gateway._capture import StoreCapture

    _lower_priority()
    config = CaptureConfig.model_validate_json(config_json)
    try:
        capture = StoreCapture.open(url, config, background=False)
    except Exception as exc:  # report and exit: the gateway counts everything as failed
        log.error("capture process: cannot open the store: %s", exc)
        ready.set()
        return
    ready.set()
    writer = capture.writer
    gc.freeze()  # what exists now lives as long as the process: keep it out of collections

    def publish() -> None:
        stats = writer.stats()
        counters[_ACCEPTED] = stats["accepted"]
        counters[_CAPTURED] = stats["captured"]
        counters[_FAILED] = stats["failed"]

    last_retention = float("-inf")
    while True:
        now = time.monotonic()
        if now - last_retention > 300.0:
            last_retention = now
            try:
                capture.apply_retention()
            except Exception as exc:
                log.error("capture process: retention failed: %s", exc)
        try:
            if not conn.poll(0.2):
                publish()
                continue
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            break
        if payload == _END:
            break
        if payload == _FLUSH:
            publish()
            counters[_DONE] += 1
            continue
        capture.write(pickle.loads(memoryview(payload)[5:]))
        publish()
    capture.close(60.0)
    publish()
    counters[_DONE] += 1


class ProcessCapture:
    """A :class:`~recast.gateway._app.CaptureSink` that writes from separate processes."""

    def __init__(self, url: str | None, config: CaptureConfig, batch_interval: float = 0.05):
        self.config = config
        self.url = url or config.store
        ctx = multiprocessing.get_context("spawn")
        self._counters = ctx.Array("q", 5, lock=False)
        buffer_in, self._sender = ctx.Pipe(duplex=False)
        writer_in, buffer_out = ctx.Pipe(duplex=False)
        ready = ctx.Event()
        self._process = ctx.Process(
            target=_writer_main,
            args=(self.url, config.model_dump_json(), writer_in, self._counters, ready),
            name="recast-capture-writer",
            daemon=True,
        )
        self._process.start()
        self._buffer = ctx.Process(
            target=_buffer_main,
            args=(buffer_in, buffer_out, self._counters, config.buffer_mb << 20),
            name="recast-capture-buffer",
            daemon=True,
        )
        self._buffer.start()
        if not ready.wait(60.0):
            raise RuntimeError("the capture writer process did not start")
        self._queue: deque[Exchange] = deque()
        self._max = config.queue_size
        self._batch = config.batch_size
        self._interval = batch_interval
        self._wake = threading.Event()
        self._send_lock = threading.Lock()
        self._closed = False
        self.sent = 0
        self.dropped_local = 0
        self.send_failed = 0
        self._thread = threading.Thread(
            target=self._send_loop, name="recast-capture-send", daemon=True
        )
        self._thread.start()

    # -- the request path ------------------------------------------------------------------
    def offer(self, exchange: Exchange) -> bool:
        queue = self._queue
        if self._closed or len(queue) >= self._max:
            self.dropped_local += 1
            return False
        if exchange.request_body:
            exchange.request = None  # the writer parses the bytes: cheaper to pickle
        queue.append(exchange)
        if len(queue) >= self._batch:
            self._wake.set()
        return True

    # -- the sender thread -----------------------------------------------------------------
    def _take(self) -> list[Exchange]:
        queue = self._queue
        count = min(len(queue), self._batch)
        return [queue.popleft() for _ in range(count)]

    def _send_loop(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            while self._send_batch():
                pass
            if self._closed and not self._queue:
                return

    def _send_batch(self) -> bool:
        """Send one batch; ``False`` when the queue was empty. Taking and sending happen
        under one lock, so a flush marker can never overtake a batch already taken."""
        with self._send_lock:
            batch = self._take()
            if not batch:
                return False
            try:
                self._sender.send_bytes(_frame(batch))
                self.sent += len(batch)
            except (OSError, pickle.PicklingError) as exc:
                self.send_failed += len(batch)
                log.error("capture: could not hand %d exchanges to the writer: %s", len(batch), exc)
        return True

    def _send_marker(self, marker: bytes) -> bool:
        with self._send_lock:
            try:
                self._sender.send_bytes(marker)
            except OSError:
                return False
        return True

    # -- accounting, flushing ----------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        counters = self._counters
        accepted_remote = counters[_ACCEPTED]
        captured = counters[_CAPTURED]
        failed = counters[_FAILED] + self.send_failed
        accepted = self.sent + self.send_failed + len(self._queue)
        dropped = self.dropped_local + counters[_DROPPED]
        in_pipe = self.sent - accepted_remote - counters[_DROPPED]
        pending = max(accepted - captured - failed - counters[_DROPPED], 0)
        return {
            "accepted": accepted - counters[_DROPPED],
            "captured": captured,
            "dropped": dropped,
            "failed": failed,
            "pending": pending,
            "in_transit": max(in_pipe, 0),
        }

    @property
    def pending(self) -> int:
        return self.stats()["pending"]

    @property
    def failed(self) -> int:
        return self.stats()["failed"]

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything offered so far is written; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        while self._queue and time.monotonic() < deadline:
            time.sleep(0.01)
        done = self._counters[_DONE]
        if not self._send_marker(_FLUSH):
            return False
        while self._counters[_DONE] == done and time.monotonic() < deadline:
            if not (self._process.is_alive() and self._buffer.is_alive()):
                return False
            time.sleep(0.01)
        return self.stats()["pending"] == 0

    def close(self, timeout: float = 30.0) -> bool:
        """Send what is queued, let the writer finish, stop both processes. Safe to call twice."""
        if self._closed:
            return not self._process.is_alive() and self.stats()["pending"] == 0
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)
        self._send_marker(_END)
        deadline = time.monotonic() + timeout
        for process in (self._process, self._buffer):
            process.join(max(deadline - time.monotonic(), 0.1))
        if self._process.is_alive() or self._buffer.is_alive():
            self._process.terminate()
            self._buffer.terminate()
            return False
        return self.stats()["pending"] == 0
