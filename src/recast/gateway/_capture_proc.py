"""Capture in separate processes, so storing traffic takes as little as possible from serving it.

Writing an exchange to SQLite (the row, its indexes, the WAL, redaction checks) costs a
fair share of what relaying it costs. :class:`ProcessCapture` only pickles each exchange
(a tuple) onto the end of the batch being filled, while its objects are still in the CPU's
cache, and lets them go. A sender thread holds full batches, as bytes, up to
``capture.buffer_mb`` and hands them through a pipe to one of two *writer* processes,
which turn them into :class:`recast.store.CapturedExchange` rows and write them:

* the *idle writer*, in the idle scheduling class (Linux ``SCHED_IDLE``), runs only on
  CPU that serving leaves over. It is given batches only while the machine (and the
  container's CPU quota, if any: :mod:`recast.gateway._spare_cpu`) has half a core to
  spare: on a saturated machine it still got 3-6 µs of CPU per request in the gaps
  (measured per process at c=64), all of it taken from serving, so during a burst that
  keeps the machine busy the batches wait in the gateway;
* the *catch-up writer*, at nice 19, takes over while more than half the buffer is held
  (until it is down to an eighth), so sustained load is still written, at the lowest
  normal priority, before anything has to be dropped. It also runs retention.

A full buffer drops batches and counts them. (An earlier design held the backlog in a
third, *buffer* process: it cost 2.5-3.4 µs of CPU per request at c=64 to move bytes the
gateway can hold itself.)

Accounting, for metrics and tests: ``accepted == captured + failed + pending`` and
``dropped`` counts what a full queue or buffer refused.
"""

from __future__ import annotations

import contextlib
import gc
import io
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
from recast.gateway._spare_cpu import SpareCpu

log = logging.getLogger("recast.gateway.capture")

# Shared counters, each written by one writer process: exchanges accepted, captured,
# failed, and markers (flush, end) handled.
_WRITERS = ("idle", "catch-up")
_IDLE, _CATCH_UP = range(len(_WRITERS))
_ACCEPTED, _CAPTURED, _FAILED, _DONE = range(4)


def _slot(writer: int, counter: int) -> int:
    return 4 * writer + counter


#: A batch on the wire: ``B``, the number of exchanges (uint32), then each exchange
#: pickled as a plain tuple, one after the other.
_BATCH = b"B"
_HEAD = struct.Struct("<I")
#: Pipe capacity asked for: 1 MiB, the default limit for unprivileged processes.
_PIPE_BYTES = 1 << 20
_FLUSH = b"flush"
_END = b""


class _Batch:
    """Exchanges pickled one by one as they are offered, joined into one payload at the end.

    One pickler per batch, in *fast* mode (no memo), so each exchange is a pickle of its
    own, read back with one ``pickle.load``. The batch is the pickler's file: each pickle
    arrives as one bytes object appended to ``parts``, so nothing is copied until the
    sender thread joins them (``pickle.dumps`` and an append to a growing buffer took a
    third more instructions).
    """

    __slots__ = ("count", "dump", "parts", "write")

    def __init__(self) -> None:
        self.parts: list[bytes] = [b""]  # the head, once the count is known
        self.write = self.parts.append
        pickler = pickle.Pickler(self, pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: exchanges are trees of plain values
        self.dump = pickler.dump
        self.count = 0

    def seal(self) -> bytes:
        """The payload: ``B``, the count (uint32), then the pickles."""
        self.parts[0] = _BATCH + _HEAD.pack(self.count)
        return b"".join(self.parts)


def _unframe(payload: bytes) -> list[Exchange]:
    stream = io.BytesIO(payload)
    stream.seek(1 + _HEAD.size)
    load, make = pickle.load, tuple.__new__  # make: Exchange._make without its Python call
    return [make(Exchange, load(stream)) for _ in range(_count(payload))]


def _count(payload: bytes) -> int:
    return int(_HEAD.unpack_from(payload, 1)[0]) if payload[:1] == _BATCH else 0


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


def catching_up(held: int, limit: int, now: bool) -> bool:
    """Whether the catch-up writer should take the next batch: from more than half of the
    buffer's ``limit`` held until it is down to an eighth (hysteresis, so the two writers
    rarely take turns and contend for the store's write lock)."""
    return held > limit // 8 if now else held > limit // 2


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

    idle = index == _IDLE
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
        *,
        cpu_stat: str = "/proc/stat",
    ) -> None:
        """``cpu_stat``: where to read the machine's CPU use (a stand-in file in tests)."""
        self.config = config
        self.url = url or config.store
        ctx = multiprocessing.get_context("spawn")
        self._counters = ctx.Array("q", _slot(len(_WRITERS), 0), lock=False)
        self._writers: list[Any] = []
        self._pipes: list[Connection] = []
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
            inbound.close()  # the writer has its copy: a dead writer's pipe now raises EPIPE
            self._writers.append(process)
            self._pipes.append(out)
            started.append(ready)
        self._pipe_bytes = _widen(*self._pipes)
        if not all(ready.wait(60.0) for ready in started):
            raise RuntimeError("the capture writer processes did not start")
        self._max = config.queue_size
        self._batch_size = config.batch_size
        self._interval = config.batch_wait_ms / 1000
        # Guarded by _lock (the serving thread fills batches, the sender thread takes them):
        self._filling = _Batch()
        self._full: deque[_Batch] = deque()
        self._waiting = 0  # exchanges in the batch being filled and in full batches
        self._in_held = 0  # exchanges in held batches
        self.sent = 0
        self.send_failed = 0
        self.dropped_held = 0
        self._lock = threading.Lock()
        # Used by whoever holds _send_lock (the sender thread, or a flush):
        self._held: deque[tuple[bytes, int]] = deque()
        self._held_bytes = 0
        self._lost: set[int] = set()  # writers whose process is gone
        self._sent_to = [0] * len(_WRITERS)  # exchanges handed to each writer (under _lock)
        self._limit = config.buffer_mb << 20
        self._hurry = False
        self.catch_up_batches = 0
        # a stand-in stat file (tests) describes a machine, not this process's cgroup
        quota = cpu_stat == "/proc/stat"
        self._spare = SpareCpu(cpu_stat, own=(self._writers[_IDLE].pid,), quota=quota)
        self._send_lock = threading.Lock()  # keeps batches and markers in order on the pipes
        self._wake = threading.Event()
        self._closed = False
        self.dropped_local = 0
        self._thread = threading.Thread(
            target=self._send_loop, name="recast-capture-send", daemon=True
        )
        self._thread.start()

    # -- the request path ------------------------------------------------------------------
    def offer(self, exchange: tuple[Any, ...]) -> bool:
        """Pickle ``exchange`` onto the batch being filled; ``False`` (and counted as
        dropped) when ``queue_size`` exchanges already wait for the sender thread.

        Pickling here rather than in the sender thread reads the exchange while it is
        still in the CPU's cache and frees its objects at once, instead of holding a
        batch of them.
        """
        if self._closed or self._waiting >= self._max:
            self.dropped_local += 1
            return False
        with self._lock:
            batch = self._filling
            size = len(batch.parts)
            try:
                batch.dump(exchange)
            except Exception as exc:  # an unpicklable request must not fail the response
                del batch.parts[size:]  # a large pickle may have written part of itself
                log.error("capture: cannot serialise exchange %s: %s", exchange[0], exc)
                self.send_failed += 1
                return True
            batch.count += 1
            self._waiting += 1
            if batch.count >= self._batch_size:
                self._seal()
                self._wake.set()
        return True

    def _seal(self) -> None:
        """Move the batch being filled to the full ones (call with ``_lock`` held)."""
        if self._filling.count:
            self._full.append(self._filling)
            self._filling = _Batch()

    # -- the sender thread -----------------------------------------------------------------
    def _send_loop(self) -> None:
        while True:
            woken = self._wake.wait(self._interval)
            self._wake.clear()
            with self._send_lock:
                # a part-filled batch goes once it has waited an interval, or at the end
                self._hold(seal=not woken or self._closed)
                self._forward(everything=self._closed)
            if self._closed and not (self._waiting or self._in_held):
                return

    def _hold(self, *, seal: bool) -> None:
        """Take the full batches into the held ones; drop (and count) what would take the
        held bytes past ``buffer_mb``."""
        with self._lock:
            if seal:
                self._seal()
            batches = list(self._full)
            self._full.clear()
        kept = dropped = 0
        for batch in batches:
            payload = batch.seal()
            if self._held_bytes + len(payload) <= self._limit:
                self._held.append((payload, batch.count))
                self._held_bytes += len(payload)
                kept += batch.count
            else:
                dropped += batch.count
        with self._lock:  # until now they still counted as waiting
            self._waiting -= kept + dropped
            self._in_held += kept
            self.dropped_held += dropped

    def _room(self, writer: int, size: int) -> bool:
        """Whether ``size`` more bytes fit in the writer's pipe (so writing never waits)."""
        queued = _queued(self._pipes[writer])
        return not queued or queued + size <= self._pipe_bytes

    def _forward(self, *, everything: bool = False) -> None:
        """Hand held batches to a writer: to the idle writer while the machine has CPU to
        spare and its pipe has room, to the catch-up writer while more than half the
        buffer is held; ``everything`` (a flush, the end) hands them all on now. When a
        writer is gone its batches go to the other one."""
        while self._held:
            batch, count = self._held[0]
            self._hurry = hurry = catching_up(self._held_bytes, self._limit, self._hurry)
            writer = self._writer_for(_CATCH_UP if hurry else _IDLE)
            # (with no writer left, the batch is counted as failed at once)
            ready = writer is None or (self._room(writer, len(batch)) and (hurry or self._spare()))
            if not (everything or ready):
                return
            self._held.popleft()
            self._held_bytes -= len(batch)
            while writer is not None and not self._send(writer, batch):
                writer = self._writer_for(writer)
            with self._lock:
                self._in_held -= count
                if writer is None:
                    self.send_failed += count
                else:
                    self.sent += count
                    self._sent_to[writer] += count
            self.catch_up_batches += hurry

    def _writer_for(self, preferred: int) -> int | None:
        """``preferred`` if its process is there, else another writer; ``None`` if none is."""
        candidates: list[int] = [preferred, *range(len(_WRITERS))]
        for writer in candidates:
            if writer in self._lost:
                continue
            if self._writers[writer].is_alive():
                return writer
            self._lose(writer, f"exit code {self._writers[writer].exitcode}")
        return None

    def _send(self, writer: int, payload: bytes) -> bool:
        """Write ``payload`` to ``writer``'s pipe; on failure mark the writer lost."""
        try:
            self._pipes[writer].send_bytes(payload)
        except OSError as exc:
            self._lose(writer, str(exc))
            return False
        return True

    def _lose(self, writer: int, why: str) -> None:
        """Stop using a writer whose process is gone, and count what it had been handed
        but not written as failed, so nothing stays pending for ever. Logged once."""
        self._lost.add(writer)
        done = sum(self._counters[_slot(writer, counter)] for counter in (_CAPTURED, _FAILED))
        with self._lock:
            unwritten = max(self._sent_to[writer] - done, 0)
            self._sent_to[writer] -= unwritten
            self.sent -= unwritten
            self.send_failed += unwritten
        left = len(_WRITERS) - len(self._lost)
        log.error(
            "capture: the %s writer is gone (%s); %d exchanges handed to it were not written; %s",
            _WRITERS[writer],
            why,
            unwritten,
            "the other writer takes its batches" if left else "further exchanges fail (counted)",
        )

    def _send_marker(self, marker: bytes) -> list[int]:
        """Send a flush or end marker to each writer still there (call with ``_send_lock``
        held); return the writers it reached."""
        return [w for w in range(len(_WRITERS)) if w not in self._lost and self._send(w, marker)]

    # -- accounting, flushing ----------------------------------------------------------------
    def _total(self, counter: int) -> int:
        return sum(self._counters[_slot(index, counter)] for index in range(len(_WRITERS)))

    def stats(self) -> dict[str, int]:
        """Counters for metrics; ``catch_up_batches``: batches the idle writer could not
        take in time, written by the catch-up writer instead."""
        captured = self._total(_CAPTURED)
        with self._lock:
            sent, send_failed = self.sent, self.send_failed
            unsent = self._waiting + self._in_held
            dropped = self.dropped_local + self.dropped_held
        failed = self._total(_FAILED) + send_failed
        accepted = sent + send_failed + unsent
        return {
            "accepted": accepted,
            "captured": captured,
            "dropped": dropped,
            "failed": failed,
            "pending": max(accepted - captured - failed, 0),
            "in_transit": max(sent - self._total(_ACCEPTED), 0),
            "catch_up_batches": self.catch_up_batches,
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
        with self._send_lock:
            self._hold(seal=True)
            self._forward(everything=True)
            before = self._total(_DONE)
            marked = self._send_marker(_FLUSH)
        if not marked:
            return False
        # each writer answers the marker once it has written what it was sent before it
        while self._total(_DONE) < before + len(marked) and time.monotonic() < deadline:
            if not all(self._writers[writer].is_alive() for writer in marked):
                return False
            time.sleep(0.01)
        return self.stats()["pending"] == 0

    def close(self, timeout: float = 30.0) -> bool:
        """Send what is queued, let the writers finish, stop the processes. Safe to call twice."""
        if self._closed:
            return not any(w.is_alive() for w in self._writers) and self.stats()["pending"] == 0
        self._closed = True
        self._wake.set()
        self._thread.join(timeout)
        with self._send_lock:
            self._send_marker(_END)
        deadline = time.monotonic() + timeout
        for writer in self._writers:
            writer.join(max(deadline - time.monotonic(), 0.1))
        if any(writer.is_alive() for writer in self._writers):
            for writer in self._writers:
                writer.terminate()
            return False
        return self.stats()["pending"] == 0
