"""Capture in a separate process, so storing traffic costs the gateway almost nothing.

Parsing bodies, assembling streams, redaction, JSON encoding and SQL inserts cost about
150 µs per exchange: as much as relaying it. In the gateway process that work would
compete with the event loop for the GIL, so :class:`ProcessCapture` only appends each
exchange to a bounded queue; a sender thread pickles batches into a pipe (the write
releases the GIL) and a writer process (``spawn``, so no event loop is inherited) turns
them into :class:`recast.store.CapturedExchange` rows and writes them through the store's
:class:`recast.store.CaptureWriter`.

Accounting, for metrics and tests: ``accepted == captured + failed + pending`` and
``dropped`` counts what the full queue refused (gateway side or writer side).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import pickle
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from recast.gateway._app import Exchange
from recast.gateway._config import CaptureConfig

log = logging.getLogger("recast.gateway.capture")

# shared counters: accepted by the writer, captured, dropped in the writer, failed, batches
_ACCEPTED, _CAPTURED, _DROPPED, _FAILED, _DONE = range(5)


def _writer_main(
    url: str | None, config_json: str, conn: Connection, counters: Any, ready: Any
) -> None:
    """The writer process: receive pickled batches until ``None``, write them, report."""
    from recast.gateway._capture import StoreCapture

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
        counters[_DROPPED] = stats["dropped"]
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
        if payload == b"":
            break
        if payload == b"flush":
            writer.flush(60.0)
            publish()
            counters[_DONE] += 1
            continue
        capture.write(pickle.loads(payload))
        publish()
    capture.close(60.0)
    publish()
    counters[_DONE] += 1


class ProcessCapture:
    """A :class:`~recast.gateway._app.CaptureSink` that writes from a separate process."""

    def __init__(self, url: str | None, config: CaptureConfig, batch_interval: float = 0.05):
        self.config = config
        self.url = url or config.store
        ctx = multiprocessing.get_context("spawn")
        self._counters = ctx.Array("q", 5, lock=False)
        self._receiver, self._sender = ctx.Pipe(duplex=False)
        ready = ctx.Event()
        self._process = ctx.Process(
            target=_writer_main,
            args=(self.url, config.model_dump_json(), self._receiver, self._counters, ready),
            name="recast-capture-writer",
            daemon=True,
        )
        self._process.start()
        if not ready.wait(60.0):
            raise RuntimeError("the capture writer process did not start")
        self._queue: deque[Exchange] = deque()
        self._max = config.queue_size
        self._batch = config.batch_size
        self._interval = batch_interval
        self._wake = threading.Event()
        self._lock = threading.Lock()
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
            while batch := self._take():
                try:
                    self._sender.send_bytes(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
                    self.sent += len(batch)
                except (OSError, pickle.PicklingError) as exc:
                    self.send_failed += len(batch)
                    log.error(
                        "capture: could not hand %d exchanges to the writer: %s", len(batch), exc
                    )
            if self._closed and not self._queue:
                return

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
        try:
            self._sender.send_bytes(b"flush")
        except OSError:
            return False
        while self._counters[_DONE] == done and time.monotonic() < deadline:
            if not self._process.is_alive():
                return False
            time.sleep(0.01)
        return self.stats()["pending"] == 0

    def close(self, timeout: float = 30.0) -> bool:
        """Send what is queued, let the writer finish, stop it. Safe to call twice."""
        if self._closed:
            return not self._process.is_alive() and self.stats()["pending"] == 0
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self._sender.send_bytes(b"")
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            return False
        return self.stats()["pending"] == 0
