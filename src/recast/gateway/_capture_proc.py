"""Capture in separate processes, so storing traffic takes as little as possible from serving it.

Writing an exchange to SQLite (the row, its indexes, the WAL, redaction checks) costs a
fair share of what relaying it costs. :class:`ProcessCapture` only appends each exchange
(a tuple) to a bounded queue in the gateway; a sender thread pickles batches into a pipe.
A *buffer* process, at normal priority, takes them off the pipe at once and holds up to
``capture.buffer_mb``. It hands them to one of two *writer* processes, which turn them
into :class:`recast.store.CapturedExchange` rows and write them:

* the *idle writer*, in the idle scheduling class (Linux ``SCHED_IDLE``), runs only on
  CPU that serving leaves over. The buffer gives it batches only while the machine has
  half a core to spare (``/proc/stat``): on a saturated machine it still got 3-6 µs of
  CPU per request in the gaps (measured per process at c=64), all of it taken from
  serving, so during a burst that keeps the machine busy the buffer holds the batches;
* the *catch-up writer*, at nice 19, takes over while the buffer is more than half
  full (until it is down to an eighth), so sustained load is still written, at the
  lowest normal priority, before anything has to be dropped. It also runs retention.

A full buffer drops batches and counts them.

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

# Shared counters, each with one process writing it: exchanges dropped by the buffer,
# batches sent to the catch-up writer; then per writer: accepted, captured, failed, and
# markers (flush, end) handled.
_DROPPED, _CATCH_UP = range(2)
_WRITERS = ("idle", "catch-up")
_ACCEPTED, _CAPTURED, _FAILED, _DONE = range(4)


def _slot(writer: int, counter: int) -> int:
    return 2 + 4 * writer + counter


#: A batch on the wire: ``B``, the number of exchanges (uint32), the pickled list.
_BATCH = b"B"
#: Pipe capacity asked for: 1 MiB, the default limit for unprivileged processes.
_PIPE_BYTES = 1 << 20
_FLUSH = b"flush"
_END = b""


def _frame(batch: list[Exchange]) -> bytes:
    # as plain tuples: a named tuple pickles with its class, at twice the cost
    rows = [tuple(exchange) for exchange in batch]
    return _BATCH + struct.pack("<I", len(batch)) + pickle.dumps(rows, pickle.HIGHEST_PROTOCOL)


def _unframe(payload: bytes) -> list[Exchange]:
    make = tuple.__new__  # Exchange._make without its Python-level call: twice as fast
    return [make(Exchange, row) for row in pickle.loads(memoryview(payload)[5:])]


def _count(payload: bytes) -> int:
    return int(struct.unpack_from("<I", payload, 1)[0]) if payload[:1] == _BATCH else 0


def _widen(*pipes: Connection) -> int:
    """Let a whole batch fit in each pipe (Linux; 64 KiB by default), so sending one is a
    single write that never waits for the reader and never hands the GIL back and forth.
    Return the capacity the last pipe got (64 KiB where it cannot be asked)."""
    size = 1 << 16
    try:
        import fcntl
    except ImportError:  # Windows
        return size
    for pipe in pipes:
        with contextlib.suppress(AttributeError, OSError):
            size = fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    return size


def _queued(pipe: Connection) -> int:
    """Bytes written to ``pipe`` and not yet read (0 where the platform cannot tell)."""
    try:
        import fcntl
        import termios

        raw = fcntl.ioctl(pipe.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except (ImportError, AttributeError, OSError):
        return 0
    return int(struct.unpack("i", raw)[0])


class SpareCpu:
    """Whether the machine had at least ``cores`` of CPU to spare lately (Linux
    ``/proc/stat``, sampled at most every ``every`` seconds; elsewhere always yes).

    The CPU used by the processes in ``own`` (the idle writer) counts as spare: it is
    what their work would leave were they not running. ``path`` is for tests.
    """

    def __init__(
        self,
        path: str = "/proc/stat",
        cores: float = 0.5,
        every: float = 0.1,
        own: tuple[int, ...] = (),
    ) -> None:
        self.path, self.cores, self.every, self.own = path, cores, every, own
        self._last = self._read()
        self._checked = time.monotonic()
        self._spare = True
        try:
            with open(path, "rb") as stat:
                self._cpus = max(sum(line[:3] == b"cpu" for line in stat) - 1, 1)
        except OSError:
            self._cpus = 1

    def _read(self) -> tuple[int, int] | None:
        """(spare, total) clock ticks since boot: idle, iowait and ``own``'s; all of them."""
        try:
            with open(self.path, "rb") as stat:
                values = [int(field) for field in stat.readline().split()[1:9]]
            spare = values[3] + values[4]  # idle, iowait
        except (OSError, ValueError, IndexError):
            return None
        for pid in self.own:
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(f"/proc/{pid}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
                spare += int(fields[11]) + int(fields[12])  # utime, stime
        return spare, sum(values)

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self._checked < self.every:
            return self._spare
        self._checked = now
        sample, last = self._read(), self._last
        self._last = sample
        if sample is None or last is None:
            self._spare = True
        elif sample[1] > last[1]:
            spare = (sample[0] - last[0]) / (sample[1] - last[1]) * self._cpus
            self._spare = spare >= self.cores
        return self._spare


def catching_up(held: int, limit: int, now: bool) -> bool:
    """Whether the catch-up writer should take the next batch: from more than half of the
    buffer's ``limit`` held until it is down to an eighth (hysteresis, so the two writers
    rarely take turns and contend for the store's write lock)."""
    return held > limit // 8 if now else held > limit // 2


def _buffer_main(
    inbound: Connection,
    idle: Connection,
    catch_up: Connection,
    counters: Any,
    limit: int,
    idle_capacity: int,
    cpu_stat: str,
    idle_pid: int,
) -> None:
    """The buffer process: take batches from the gateway at once, hand them on, hold at
    most ``limit`` bytes (beyond that, count batches as dropped).

    It runs at normal priority and only moves bytes, so the gateway's sender never
    waits on a writer. Batches go to the idle writer while the machine has CPU to spare
    and the writer's pipe has room (it may not run for a while), else they wait here;
    once more than half the buffer is held they go to the catch-up writer. Markers
    (flush, end) go to both; while one waits, the batches before it go on regardless.
    """
    queue: deque[bytes] = deque()
    held = 0
    markers = 0  # flush and end markers in the queue
    ready = threading.Condition()
    spare = SpareCpu(cpu_stat, own=(idle_pid,))

    def forward() -> None:
        nonlocal held, markers
        hurry = False
        while True:
            with ready:
                ready.wait_for(lambda: bool(queue))
                payload = queue[0]
                batch = payload[:1] == _BATCH
                hurry = catching_up(held, limit, hurry)
                if batch and not hurry:
                    if not markers and not spare():
                        ready.wait(0.05)  # serving keeps the machine busy: hold on
                        continue
                    waiting = _queued(idle)
                    if waiting and waiting + len(payload) > idle_capacity:
                        ready.wait(0.02)  # the idle writer is behind: look again soon
                        continue
                queue.popleft()
                held -= len(payload)
                markers -= not batch
            try:
                if not batch:
                    idle.send_bytes(payload)
                    catch_up.send_bytes(payload)
                elif hurry:
                    catch_up.send_bytes(payload)
                    counters[_CATCH_UP] += 1
                else:
                    idle.send_bytes(payload)
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
        batch = payload[:1] == _BATCH
        with ready:
            if batch and held + len(payload) > limit:
                counters[_DROPPED] += _count(payload)
                continue
            queue.append(payload)
            held += len(payload)
            markers += not batch
            ready.notify()
        if payload == _END:
            break
    thread.join()


def _lower_priority(idle: bool) -> None:
    """Yield the CPU to serving: nice 19, and for the idle writer the idle scheduling class.

    Measured with the bench at c=64, a nice-19 writer still took about 7 % of the CPU from
    a saturated gateway; an idle-class writer is preempted as soon as anything else
    wants the core. It is not starved outright (the kernel still gives an idle task a
    minimum share), so a transaction it has begun ends within seconds even on a busy
    machine (one capture batch), well inside the store's 30 s busy timeout.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.nice(19)
    if idle:
        with contextlib.suppress(AttributeError, OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def _writer_main(
    url: str | None, config_json: str, conn: Connection, counters: Any, ready: Any, index: int
) -> None:
    """A writer process: receive pickled batches until the end marker, write them, report.

    ``index`` 0 is the idle writer, 1 the catch-up writer (which also runs retention:
    it never holds the write lock for long while starved of CPU).
    """
    from recast.gateway._capture import StoreCapture

    idle = _WRITERS[index] == "idle"
    _lower_priority(idle)
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
        counters[_slot(index, _ACCEPTED)] = stats["accepted"]
        counters[_slot(index, _CAPTURED)] = stats["captured"]
        counters[_slot(index, _FAILED)] = stats["failed"]

    last_retention = float("inf") if idle else float("-inf")
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
            counters[_slot(index, _DONE)] += 1
            continue
        capture.write(_unframe(payload))
        publish()
    capture.close(60.0)
    publish()
    counters[_slot(index, _DONE)] += 1


class ProcessCapture:
    """A :class:`~recast.gateway._app.CaptureSink` that writes from separate processes."""

    def __init__(
        self,
        url: str | None,
        config: CaptureConfig,
        batch_interval: float = 0.05,
        *,
        cpu_stat: str = "/proc/stat",
    ) -> None:
        """``cpu_stat``: where to read the machine's CPU use (a stand-in file in tests)."""
        self.config = config
        self.url = url or config.store
        ctx = multiprocessing.get_context("spawn")
        self._counters = ctx.Array("q", _slot(len(_WRITERS), 0), lock=False)
        buffer_in, self._sender = ctx.Pipe(duplex=False)
        self._writers: list[Any] = []
        outbound: list[Connection] = []
        started = []
        for index, name in enumerate(_WRITERS):
            inbound, out = ctx.Pipe(duplex=False)
            ready = ctx.Event()
            process = ctx.Process(
                target=_writer_main,
                args=(self.url, config.model_dump_json(), inbound, self._counters, ready, index),
                name=f"recast-capture-{name}-writer",
                daemon=True,
            )
            process.start()
            self._writers.append(process)
            outbound.append(out)
            started.append(ready)
        capacity = _widen(self._sender, *outbound)
        self._buffer = ctx.Process(
            target=_buffer_main,
            args=(
                buffer_in,
                *outbound,
                self._counters,
                config.buffer_mb << 20,
                capacity,
                cpu_stat,
                self._writers[0].pid,
            ),
            name="recast-capture-buffer",
            daemon=True,
        )
        self._buffer.start()
        if not all(ready.wait(60.0) for ready in started):
            raise RuntimeError("the capture writer processes did not start")
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
        queue.append(exchange)
        if len(queue) >= self._batch and not self._wake.is_set():
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
    def _total(self, counter: int) -> int:
        return sum(self._counters[_slot(index, counter)] for index in range(len(_WRITERS)))

    def stats(self) -> dict[str, int]:
        """Counters for metrics; ``catch_up_batches``: batches the idle writer could not
        take in time, written by the catch-up writer instead."""
        counters = self._counters
        captured = self._total(_CAPTURED)
        failed = self._total(_FAILED) + self.send_failed
        buffer_dropped = counters[_DROPPED]
        accepted = self.sent + self.send_failed + len(self._queue)
        in_pipe = self.sent - self._total(_ACCEPTED) - buffer_dropped
        return {
            "accepted": accepted - buffer_dropped,
            "captured": captured,
            "dropped": self.dropped_local + buffer_dropped,
            "failed": failed,
            "pending": max(accepted - captured - failed - buffer_dropped, 0),
            "in_transit": max(in_pipe, 0),
            "catch_up_batches": counters[_CATCH_UP],
        }

    @property
    def pending(self) -> int:
        return self.stats()["pending"]

    @property
    def failed(self) -> int:
        return self.stats()["failed"]

    def _alive(self) -> bool:
        return self._buffer.is_alive() and all(w.is_alive() for w in self._writers)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything offered so far is written; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        while self._queue and time.monotonic() < deadline:
            time.sleep(0.01)
        before = self._total(_DONE)
        if not self._send_marker(_FLUSH):
            return False
        # each writer answers the marker once it has written what it was sent before it
        while self._total(_DONE) < before + len(_WRITERS) and time.monotonic() < deadline:
            if not self._alive():
                return False
            time.sleep(0.01)
        return self.stats()["pending"] == 0

    def close(self, timeout: float = 30.0) -> bool:
        """Send what is queued, let the writers finish, stop the processes. Safe to call twice."""
        processes = [*self._writers, self._buffer]
        if self._closed:
            return not any(p.is_alive() for p in processes) and self.stats()["pending"] == 0
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)
        self._send_marker(_END)
        deadline = time.monotonic() + timeout
        for process in processes:
            process.join(max(deadline - time.monotonic(), 0.1))
        if any(process.is_alive() for process in processes):
            for process in processes:
                process.terminate()
            return False
        return self.stats()["pending"] == 0
