"""CaptureWriter: never blocks, loses nothing while there is room, counts every drop."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from recast.store import CapturedExchange, CaptureWriter, Store


def _ex(n: int = 0, **fields: object) -> CapturedExchange:
    return CapturedExchange(
        requested_model="gpt-4.1",
        endpoint="/v1/chat/completions",
        request={"model": "gpt-4.1", "messages": [{"role": "user", "content": f"q{n}"}]},
        **fields,  # type: ignore[arg-type]
    )


class GatedStore(Store):
    """A real store whose writes wait for a gate, so a test can fill the queue."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine, store.url)
        self.entered = threading.Event()
        self.gate = threading.Event()

    def capture_many(self, exchanges: Sequence[CapturedExchange], *, redact: bool = True) -> int:
        self.entered.set()
        assert self.gate.wait(60)
        return super().capture_many(exchanges, redact=redact)


class BrokenStore(Store):
    """A real store that refuses every write."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine, store.url)
        self.calls = 0

    def capture_many(self, exchanges: Sequence[CapturedExchange], *, redact: bool = True) -> int:
        self.calls += 1
        raise RuntimeError("disk on fire")


@pytest.mark.slow
def test_nothing_is_lost_under_load_while_the_queue_has_room(store: Store) -> None:
    writer = CaptureWriter(store, max_queue=100_000, batch_size=256, flush_interval=0.05)
    per_thread, threads = 2_500, 8
    refused = []

    def produce(t: int) -> None:
        for i in range(per_thread):
            if not writer.offer(_ex(t * per_thread + i)):
                refused.append(i)

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert writer.close(timeout=120)
    total = per_thread * threads
    assert refused == []
    assert writer.stats() == {
        "accepted": total,
        "captured": total,
        "dropped": 0,
        "failed": 0,
        "pending": 0,
    }
    assert store.count_exchanges() == total
    contents = {e.request["messages"][0]["content"] for e in store.iter_exchanges()}  # type: ignore[index,call-overload]
    assert contents == {f"q{n}" for n in range(total)}


def test_drops_are_counted_exactly_when_full(store: Store) -> None:
    gated = GatedStore(store)
    writer = CaptureWriter(gated, max_queue=50, batch_size=10, flush_interval=0.01)
    assert writer.offer(_ex(-1))
    assert gated.entered.wait(10)  # the writer holds that one and waits at the gate
    results = [writer.offer(_ex(i)) for i in range(57)]
    assert results == [True] * 50 + [False] * 7
    assert writer.dropped == 7
    assert writer.pending == 51
    gated.gate.set()
    assert writer.close(timeout=60)
    assert writer.stats() == {
        "accepted": 51,
        "captured": 51,
        "dropped": 7,
        "failed": 0,
        "pending": 0,
    }
    assert store.count_exchanges() == 51


def test_offer_does_not_wait_for_a_stuck_database(store: Store) -> None:
    gated = GatedStore(store)
    writer = CaptureWriter(gated, max_queue=1000, batch_size=1, flush_interval=0.01)
    writer.offer(_ex())
    assert gated.entered.wait(10)
    # The writer is stuck inside a write; offering must still return at once.
    done = threading.Event()

    def offer_many() -> None:
        for i in range(500):
            writer.offer(_ex(i))
        done.set()

    threading.Thread(target=offer_many).start()
    assert done.wait(10)
    assert writer.accepted == 501
    gated.gate.set()
    assert writer.close(timeout=60)


def test_close_flushes_what_is_queued(store: Store) -> None:
    writer = CaptureWriter(store, batch_size=10_000, flush_interval=3600)
    for i in range(123):
        assert writer.offer(_ex(i))
    assert writer.close(timeout=30)
    assert writer.captured == 123
    assert store.count_exchanges() == 123
    assert not writer.offer(_ex())
    assert writer.dropped == 1
    assert writer.close(timeout=1)  # twice is fine


def test_flush_waits_for_everything_offered(store: Store) -> None:
    with CaptureWriter(store, batch_size=10_000, flush_interval=3600) as writer:
        for i in range(40):
            writer.offer(_ex(i))
        assert writer.flush(timeout=30)
        assert store.count_exchanges() == 40
        writer.offer(_ex(99))
        assert writer.flush(timeout=30)
        assert store.count_exchanges() == 41


def test_write_errors_are_counted_never_raised(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    broken = BrokenStore(store)
    writer = CaptureWriter(broken, batch_size=5, flush_interval=0.01, retry_delay=0.001)
    for i in range(12):
        assert writer.offer(_ex(i))
    assert writer.close(timeout=30)
    assert writer.failed == 12
    assert writer.captured == 0
    assert broken.calls > 0
    assert "disk on fire" in caplog.text


def test_one_bad_row_does_not_lose_its_batch(store: Store) -> None:
    writer = CaptureWriter(store, batch_size=100, flush_interval=3600, retry_delay=0.001)
    good = [_ex(i) for i in range(9)]
    bad = CapturedExchange(requested_model="gpt-4.1", endpoint="/v1/x", request=None)  # NOT NULL
    for exchange in [*good[:4], bad, *good[4:]]:
        writer.offer(exchange)
    assert writer.close(timeout=30)
    assert (writer.captured, writer.failed) == (9, 1)
    assert {e.id for e in store.iter_exchanges()} == {e.id for e in good}


async def test_usable_from_asyncio(store: Store) -> None:
    writer = CaptureWriter(store, flush_interval=0.01)
    for i in range(10):
        writer.offer(_ex(i))
    assert await writer.aclose(timeout=30)
    assert store.count_exchanges() == 10


def _capture_in_child(url: str, worker: int, count: int, barrier: Any, out: Any) -> None:
    from recast.store import open_store

    store = open_store(url)
    writer = CaptureWriter(store, batch_size=100, flush_interval=0.01)
    barrier.wait()
    for i in range(count):
        writer.offer(_ex(worker * count + i))
    writer.close(timeout=120)
    out.put(writer.stats())
    store.close()


@pytest.mark.slow
def test_several_processes_capture_into_one_store(store: Store) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    url = store.url.render_as_string(hide_password=False)
    children = [
        ctx.Process(target=_capture_in_child, args=(url, n, 1500, barrier, out)) for n in range(3)
    ]
    for child in children:
        child.start()
    stats = [out.get(timeout=180) for _ in children]
    for child in children:
        child.join(60)
    assert [s["captured"] for s in stats] == [1500] * 3
    assert sum(s["failed"] + s["dropped"] for s in stats) == 0
    assert store.count_exchanges() == 4500
