"""A batching background writer for captured exchanges (the gateway's fast path).

The request path calls :meth:`CaptureWriter.offer`, which only appends to a bounded
in-memory queue under a lock held for a few instructions: it never waits for the
database. A background thread drains the queue in batches through
:meth:`Store.capture_many`. When the queue is full the exchange is dropped and
counted; when a write fails it is logged and counted. Nothing is ever raised into
the caller. At any moment ``accepted == captured + failed + pending``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence

import sqlalchemy as sa

from recast.store._store import Store
from recast.store._types import CapturedExchange

log = logging.getLogger("recast.store.capture")


class CaptureWriter:
    """Write captured exchanges to a store in the background, never blocking callers.

    ``max_queue`` bounds memory (exchanges waiting to be written); ``batch_size``
    is the most written per transaction; ``flush_interval`` (seconds) is the longest
    an exchange waits when traffic is light. A failed batch is retried ``retries``
    times, then written row by row so one bad row does not lose its neighbours.
    ``background=False`` starts no thread: the caller hands over batches with
    :meth:`write` (flush and close then only account for what was written).
    """

    def __init__(
        self,
        store: Store,
        max_queue: int = 10_000,
        batch_size: int = 500,
        flush_interval: float = 0.2,
        *,
        retries: int = 2,
        retry_delay: float = 0.2,
        background: bool = True,
    ) -> None:
        if max_queue < 1 or batch_size < 1:
            raise ValueError("max_queue and batch_size must be at least 1")
        self.store = store
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.retries = retries
        self.retry_delay = retry_delay
        #: Exchanges written to the store.
        self.captured = 0
        #: Exchanges refused because the queue was full (or the writer closed).
        self.dropped = 0
        #: Exchanges accepted but lost to write errors.
        self.failed = 0
        #: Exchanges accepted into the queue.
        self.accepted = 0
        self._queue: deque[CapturedExchange] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="recast-capture", daemon=True)
        if background:
            self._thread.start()

    # --- the request path ---------------------------------------------------------

    def offer(self, exchange: CapturedExchange) -> bool:
        """Queue an exchange for writing; ``False`` (and ``dropped`` + 1) if full or closed."""
        with self._lock:
            if self._closed or len(self._queue) >= self.max_queue:
                self.dropped += 1
                return False
            self._queue.append(exchange)
            self.accepted += 1
            full = len(self._queue) >= self.batch_size
        if full:
            self._wake.set()
        return True

    def write(self, batch: Sequence[CapturedExchange]) -> None:
        """Write ``batch`` now, in the caller's thread, counted like offered exchanges.

        For a caller that already batches (the gateway's capture process): same
        retries, row-by-row fallback and counters as the background thread, without
        a second queue. Never raises.
        """
        with self._lock:
            self.accepted += len(batch)
        if batch:
            self._write(list(batch))

    def write_failed(self, count: int) -> None:
        """Count ``count`` exchanges the caller accepted but could not even hand over."""
        with self._lock:
            self.accepted += count
        self._done(0, count)

    @property
    def pending(self) -> int:
        """Exchanges accepted but not yet written or failed."""
        return self.accepted - self.captured - self.failed

    def stats(self) -> dict[str, int]:
        """The counters, for metrics: accepted, captured, dropped, failed, pending."""
        return {
            "accepted": self.accepted,
            "captured": self.captured,
            "dropped": self.dropped,
            "failed": self.failed,
            "pending": self.pending,
        }

    # --- flushing and shutdown ----------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything accepted so far is written (or failed); ``False`` on timeout."""
        target = self.accepted
        self._wake.set()
        with self._progress:
            return self._progress.wait_for(
                lambda: self.captured + self.failed >= target, timeout=timeout
            )

    def close(self, timeout: float | None = 30.0) -> bool:
        """Stop accepting, write everything still queued, stop the thread.

        Returns ``True`` when all accepted exchanges were handled within ``timeout``
        seconds. Safe to call twice.
        """
        with self._lock:
            self._closed = True
        self._wake.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive() and self.pending == 0

    async def aclose(self, timeout: float | None = 30.0) -> bool:
        """:meth:`close` without blocking the event loop."""
        return await asyncio.to_thread(self.close, timeout)

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the background thread ----------------------------------------------------

    def _take(self) -> list[CapturedExchange]:
        with self._lock:
            count = min(len(self._queue), self.batch_size)
            return [self._queue.popleft() for _ in range(count)]

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            while batch := self._take():
                self._write(batch)
            with self._lock:
                if self._closed and not self._queue:
                    return

    def _done(self, captured: int, failed: int) -> None:
        with self._progress:
            self.captured += captured
            self.failed += failed
            self._progress.notify_all()

    def _write(self, batch: list[CapturedExchange]) -> None:
        error: BaseException | None = None
        for attempt in range(self.retries + 1):
            try:
                self.store.capture_many(batch)
            except Exception as exc:
                error = exc
                if attempt < self.retries:
                    time.sleep(self.retry_delay * (attempt + 1))
                continue
            self._done(len(batch), 0)
            return
        cause = error.__cause__ if error is not None else None
        if len(batch) == 1 or isinstance(cause, (sa.exc.OperationalError, sa.exc.InterfaceError)):
            # The database itself is unavailable: row by row would fail the same way.
            log.error("capture: could not write %d exchanges: %s", len(batch), error)
            self._done(0, len(batch))
            return
        log.warning("capture: batch of %d failed (%s); writing one by one", len(batch), error)
        for exchange in batch:
            try:
                self.store.capture_many([exchange])
            except Exception as exc:
                log.error("capture: could not write exchange %s: %s", exchange.id, exc)
                self._done(0, 1)
            else:
                self._done(1, 0)
