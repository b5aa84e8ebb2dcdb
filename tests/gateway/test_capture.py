"""Capture into a real store (SQLite and PostgreSQL), redaction, gateway keys."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from datetime import datetime, timezone
from typing import Any

import httpx
import openai
import pytest
import sqlalchemy as sa

from recast.gateway import parse_config
from recast.gateway._capture import StoreCapture, StoreKeys
from recast.gateway._capture_proc import ProcessCapture
from recast.store import open_store

from .conftest import base_config
from .upstream import FakeUpstream

UPSTREAM_KEY = "sk-upstream-secret-key-000000000000"


def _dump(store_url: str) -> str:
    """Every stored value of every table, as one string (to search for leaked secrets)."""
    store = open_store(store_url)
    try:
        parts = []
        with store.engine.connect() as conn:
            inspector = sa.inspect(conn)
            for name in inspector.get_table_names():
                rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).fetchall()
                parts.append(json.dumps([list(map(str, r)) for r in rows]))
        return "\n".join(parts)
    finally:
        store.close()


def _capture(store_url: str, config: dict[str, Any]) -> StoreCapture:
    return StoreCapture.open(store_url, parse_config(config).capture)


@pytest.fixture(params=["thread", "process"])
def make_capture(request: pytest.FixtureRequest) -> Any:
    """Both capture sinks: in-process writer thread, and the separate writer process."""

    def make(store_url: str, config: dict[str, Any]) -> Any:
        if request.param == "thread":
            return _capture(store_url, config)
        return ProcessCapture(store_url, parse_config(config).capture)

    return make


def test_exchanges_captured_with_what_audition_needs(
    upstream: FakeUpstream, gateway: Any, store_url: str, make_capture: Any
) -> None:
    config = base_config(upstream, routes={"support-bot": {"alias": "gpt-4.1"}})
    capture = make_capture(store_url, config)
    with gateway(config, capture=capture) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key="x", max_retries=0)
        started = datetime.now(timezone.utc)
        client.chat.completions.create(
            model="support-bot", messages=[{"role": "user", "content": "plain"}]
        )
        stream = client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "streamed answer"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        list(stream)
        tool_body = {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "t"}],
            "tools": [{"type": "function", "function": {"name": "f"}}],
        }
        gw.http.post(gw.v1 + "/chat/completions", json=tool_body)
    assert capture.close()
    store = open_store(store_url)
    rows = list(store.iter_exchanges())
    store.close()
    assert len(rows) == 3
    plain, streamed, tools = rows
    assert plain.requested_model == "support-bot" and plain.served_model == "gpt-4.1"
    assert plain.route == "alias" and plain.upstream == "fake" and plain.status_code == 200
    assert plain.request["messages"] == [{"role": "user", "content": "plain"}]  # type: ignore[index]
    assert plain.response["choices"][0]["message"]["content"] == "echo: plain"  # type: ignore[index]
    assert (plain.input_tokens, plain.output_tokens) == (11, 7)
    assert plain.latency_ms is not None and plain.latency_ms > 0
    # every field in its column (the relay builds exchanges positionally)
    assert plain.endpoint == "/v1/chat/completions" and plain.platform == "openai"
    assert plain.route_detail["reason"] == "alias"  # type: ignore[index]
    assert not plain.stream and plain.ttft_ms is None and plain.cached_tokens is None
    assert plain.cost_usd == pytest.approx(11 * 2e-6 + 7 * 8e-6)  # gpt-4.1 list prices
    assert plain.error is None and plain.key_id is None and plain.shadow_of is None
    assert started <= plain.captured_at <= streamed.captured_at <= tools.captured_at
    assert streamed.stream and streamed.ttft_ms is not None
    assert streamed.response["choices"][0]["message"]["content"].strip() == (  # type: ignore[index]
        "echo: streamed answer"
    )
    assert streamed.output_tokens == 7
    assert tools.request["tools"][0]["function"]["name"] == "f"  # type: ignore[index]


def test_no_key_ever_in_the_store(upstream: FakeUpstream, gateway: Any, store_url: str) -> None:
    config = base_config(
        upstream,
        access={"require_key": True},
        capture={"redact_patterns": [r"\b\d{3}-\d{2}-\d{4}\b"], "redact_fields": ["customer_id"]},
    )
    capture = _capture(store_url, config)
    key_id, key = capture.store.create_key("tests")
    with gateway(config, capture=capture, keys=StoreKeys(capture.store)) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key=key, max_retries=0)
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": f"my key is {UPSTREAM_KEY} and ssn 123-45-6789"}],
            extra_body={"metadata": {"customer_id": "C-991"}},
        )
    assert capture.close()
    dump = _dump(store_url)
    assert UPSTREAM_KEY not in dump
    assert key not in dump and key.split("-", 2)[2] not in dump
    assert "123-45-6789" not in dump and "C-991" not in dump
    assert key_id in dump  # the key's id is recorded, never the key


def test_gateway_keys(upstream: FakeUpstream, gateway: Any, store_url: str) -> None:
    config = base_config(upstream, access={"require_key": True})
    capture = _capture(store_url, config)
    store = capture.store
    _, full = store.create_key("full")
    _, limited = store.create_key("limited", allowed_models=["gpt-4.1*"], rpm=3)
    revoked_id, revoked = store.create_key("gone")
    store.revoke_key(revoked_id)
    with gateway(config, capture=capture, keys=StoreKeys(store)) as gw:

        def post(key: str | None, model: str = "gpt-4.1") -> httpx.Response:
            headers = {"authorization": f"Bearer {key}"} if key else {}
            return gw.http.post(
                gw.v1 + "/chat/completions", headers=headers, json={"model": model, "messages": []}
            )

        assert post(None).status_code == 401
        assert post("rcst-aaaaaaaaaaaa-notarealsecretnotarealsecret").status_code == 401
        assert post(revoked).status_code == 401
        assert post(full, "gpt-4o").status_code == 200
        assert post(limited, "gpt-4o").status_code == 403
        assert [post(limited, "gpt-4.1-mini").status_code for _ in range(4)] == [200, 200, 200, 429]
        anthropic_style = gw.http.post(
            gw.v1 + "/messages",
            headers={"x-api-key": full},
            json={"model": "claude-x", "max_tokens": 5, "messages": []},
        )
        assert anthropic_style.status_code == 200
        assert post(None).json()["error"]["type"] == "authentication_error"
    capture.close()


def test_capture_under_load_loses_nothing(
    upstream: FakeUpstream, gateway: Any, store_url: str, make_capture: Any
) -> None:
    config = base_config(upstream, capture={"queue_size": 5000, "batch_size": 100})
    capture = make_capture(store_url, config)
    total = 400
    with gateway(config, capture=capture) as gw:

        async def run() -> list[int]:
            limits = httpx.Limits(max_connections=32)
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                sem = asyncio.Semaphore(32)

                async def one(i: int) -> int:
                    async with sem:
                        body = {
                            "model": "gpt-4o",
                            "stream": i % 3 == 0,
                            "messages": [{"role": "user", "content": f"n{i}"}],
                        }
                        reply = await client.post(gw.v1 + "/chat/completions", json=body)
                        await reply.aread()
                        return reply.status_code

                return list(await asyncio.gather(*(one(i) for i in range(total))))

        statuses = asyncio.run(run())
        offered = gw.app.metrics.captures_offered.total()
        dropped = gw.app.metrics.captures_dropped.total()
    assert statuses == [200] * total
    assert capture.close()
    stats = capture.stats()
    assert offered == total and dropped == 0
    assert stats["captured"] == total and stats["dropped"] == 0 and stats["failed"] == 0
    store = open_store(store_url)
    texts = {r.request["messages"][0]["content"] for r in store.iter_exchanges()}  # type: ignore[index]
    store.close()
    assert texts == {f"n{i}" for i in range(total)}


def test_full_queue_drops_and_counts_but_serves(
    upstream: FakeUpstream, gateway: Any, tmp_path: Any
) -> None:
    config = base_config(upstream, capture={"queue_size": 1, "batch_size": 1})

    class Stuck:
        """A sink whose queue is always full."""

        def offer(self, exchange: Any) -> bool:
            return False

    with gateway(config, capture=Stuck()) as gw:
        statuses = [
            gw.http.post(
                gw.v1 + "/chat/completions", json={"model": "m", "messages": []}
            ).status_code
            for _ in range(5)
        ]
        metrics = gw.http.get(gw.url + "/metrics").text
    assert statuses == [200] * 5
    assert "recast_captures_dropped_total 5" in metrics


@pytest.mark.parametrize("days", [30])
def test_retention(upstream: FakeUpstream, gateway: Any, store_url: str, days: int) -> None:
    config = base_config(upstream, capture={"max_exchanges": 3})
    capture = _capture(store_url, config)
    with gateway(config, capture=capture) as gw:
        for i in range(6):
            gw.http.post(
                gw.v1 + "/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": str(i)}]},
            )
    capture.writer.flush(10)
    assert capture.apply_retention() == 3
    remaining = [
        r.request["messages"][0]["content"]  # type: ignore[index]
        for r in capture.store.iter_exchanges()
    ]
    capture.close()
    assert remaining == ["3", "4", "5"]


def test_captures_read_back_as_audition_cases(
    upstream: FakeUpstream, gateway: Any, tmp_path: Any
) -> None:
    """The contract with `recast audition --from-store`: primary exchanges become cases."""
    audition_api = pytest.importorskip("recast.audition._api")
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    routes = {"gpt-4o": {"shadow": {"models": ["gpt-4.1"], "rate": 1.0}}}
    config = base_config(upstream, routes=routes)
    capture = _capture(url, config)
    with gateway(config, capture=capture) as gw:
        client = openai.OpenAI(base_url=gw.v1, api_key="x", max_retries=0)
        client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "first question"}]
        )
        list(
            client.chat.completions.create(
                model="gpt-4o",
                messages=[{"role": "user", "content": "second question"}],
                stream=True,
            )
        )
        deadline = time.monotonic() + 10
        while gw.app._background and time.monotonic() < deadline:
            time.sleep(0.05)
    assert capture.close()
    cases = audition_api.store_cases(url)
    assert [c.messages[-1]["content"] for c in cases.cases] == ["first question", "second question"]
    assert [c.baseline.text.strip() for c in cases.cases] == [
        "echo: first question",
        "echo: second question",
    ]
    store = open_store(url)
    pairs = list(store.exchange_pairs())
    store.close()
    assert len(pairs) == 2 and all(p.shadows[0].served_model == "gpt-4.1" for p in pairs)


def _exchange(i: int, body_size: int = 100) -> Any:
    """A relayed exchange as the gateway offers it, with a distinct response body
    (pickle would send one shared object once)."""
    from recast.gateway._app import Exchange

    return Exchange(
        id=f"ex{i:04d}",
        endpoint="/v1/chat/completions",
        requested_model="m",
        request=None,
        request_body=json.dumps({"model": "m", "n": i}).encode(),
        served_model="m",
        upstream="fake",
        platform="openai",
        route="direct",
        route_detail={"reason": "direct"},
        status=200,
        stream=False,
        response_body=json.dumps({"content": f"{i}" + "x" * body_size}).encode(),
        latency_ms=1.0,
        ttft_ms=None,
    )


def test_buffer_absorbs_a_held_up_writer_then_drops_and_counts(
    upstream: FakeUpstream, tmp_path: Any
) -> None:
    """The writers run at the lowest priority and may fall behind: the gateway holds full
    batches up to ``buffer_mb``, drops (and counts) beyond that, and everything it held is
    written once the writers get going again."""
    import sqlite3

    path = tmp_path / "held.db"
    open_store(f"sqlite:///{path}").close()
    config = base_config(upstream, capture={"batch_size": 10, "buffer_mb": 1})
    capture = ProcessCapture(f"sqlite:///{path}", parse_config(config).capture)
    idle, catch_up = (process.pid for process in capture._writers)
    assert os.getpriority(os.PRIO_PROCESS, idle) == 19  # both yield to serving
    assert os.getpriority(os.PRIO_PROCESS, catch_up) == 19
    if hasattr(os, "SCHED_IDLE"):
        assert os.sched_getscheduler(idle) == os.SCHED_IDLE
        assert os.sched_getscheduler(catch_up) == os.SCHED_OTHER
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the writer now waits on the database
    total = 100
    try:
        for i in range(total):
            exchange = _exchange(i, body_size=50_000)
            assert capture.offer(exchange)
        deadline = time.monotonic() + 30
        while capture.stats()["dropped"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert capture.stats()["captured"] == 0
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert capture.flush(60)
    stats = capture.stats()
    capture.close()
    assert capture.dropped_local == 0  # the gateway's own queue never filled
    assert 0 < stats["dropped"] < total - 10
    assert stats["captured"] + stats["dropped"] == total and stats["failed"] == 0
    with open_store(f"sqlite:///{path}") as store:
        assert store.count_exchanges() == stats["captured"]


def test_catch_up_writer_takes_over_before_anything_is_dropped(
    upstream: FakeUpstream, tmp_path: Any
) -> None:
    """While the idle writer is behind and more than half the buffer is held, batches go
    to the catch-up writer; nothing is dropped while the buffer has room."""
    import sqlite3

    path = tmp_path / "behind.db"
    open_store(f"sqlite:///{path}").close()
    config = base_config(upstream, capture={"batch_size": 10, "buffer_mb": 4})
    capture = ProcessCapture(f"sqlite:///{path}", parse_config(config).capture)
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # both writers wait: the buffer fills past half
    total = 100  # ten batches of ~0.5 MB: the idle writer's pipe holds two
    try:
        for i in range(total):
            assert capture.offer(_exchange(i, body_size=50_000))
        deadline = time.monotonic() + 30
        while capture.stats()["catch_up_batches"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert capture.stats()["catch_up_batches"] > 0
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert capture.flush(60)
    capture.close()
    stats = capture.stats()
    assert (stats["captured"], stats["dropped"], stats["failed"]) == (total, 0, 0)
    with open_store(f"sqlite:///{path}") as store:
        assert store.count_exchanges() == total


@pytest.mark.parametrize(
    ("held", "now", "expected"),
    [
        (0, False, False),
        (50, False, False),
        (51, True, True),
        (51, False, True),
        (13, True, True),
        (12, True, False),
    ],
)
def test_catch_up_switches_with_hysteresis(held: int, now: bool, expected: bool) -> None:
    from recast.gateway._capture_proc import catching_up

    assert catching_up(held, 100, now) is expected


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_idle_priority_writer_still_finishes_on_a_saturated_machine(
    upstream: FakeUpstream, tmp_path: Any
) -> None:
    """The idle-class writer yields to everything, but is not starved: with every core
    busy at normal priority it still writes what it was given (so a transaction it began
    cannot hold the store's write lock indefinitely)."""
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    config = base_config(upstream, capture={"batch_size": 25})
    capture = ProcessCapture(url, parse_config(config).capture)
    spinners = [
        multiprocessing.get_context("spawn").Process(target=_spin, args=(120.0,), daemon=True)
        for _ in range(os.cpu_count() or 2)
    ]
    for spinner in spinners:
        spinner.start()
    try:
        for i in range(50):
            assert capture.offer(_exchange(i))
        assert capture.flush(90), capture.stats()
        assert all(spinner.is_alive() for spinner in spinners)  # still saturated throughout
    finally:
        for spinner in spinners:
            spinner.terminate()
        capture.close()
    assert capture.stats()["captured"] == 50


class FakeCpuStat:
    """A ``/proc/stat`` stand-in whose counters advance as busy or as idle (two CPUs)."""

    def __init__(self, path: Any) -> None:
        self.path = path
        self.busy = True
        self._user = self._idle = 0
        self._stop = threading.Event()
        self._write()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _write(self) -> None:
        line = f"{self._user} 0 0 {self._idle} 0 0 0 0"
        staged = self.path.with_suffix(".tmp")
        staged.write_text(f"cpu  {line}\ncpu0 {line}\ncpu1 {line}\nintr 0\n")
        staged.replace(self.path)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            if self.busy:
                self._user += 4
            else:
                self._idle += 4
            self._write()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def test_buffer_holds_batches_while_the_machine_is_busy(
    upstream: FakeUpstream, tmp_path: Any
) -> None:
    """While serving keeps the machine busy the buffer holds batches back from the idle
    writer (its work in the gaps is taken from serving); they are written once CPU is
    spare again, and a flush writes everything at once whatever the load."""
    url = f"sqlite:///{tmp_path / 'deferred.db'}"
    config = base_config(upstream, capture={"batch_size": 10})
    stat = FakeCpuStat(tmp_path / "stat")
    capture = ProcessCapture(url, parse_config(config).capture, cpu_stat=str(stat.path))
    time.sleep(0.5)  # past the writers' start-up (their own CPU counts as spare)
    try:
        for i in range(30):
            assert capture.offer(_exchange(i))
        time.sleep(1.5)
        assert capture.stats()["captured"] == 0
        assert capture.stats()["pending"] == 30
        stat.busy = False
        deadline = time.monotonic() + 30
        while capture.stats()["captured"] < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert capture.stats()["captured"] == 30
        stat.busy = True
        time.sleep(0.3)
        for i in range(30, 60):
            assert capture.offer(_exchange(i))
        assert capture.flush(30)
        assert capture.stats()["captured"] == 60
    finally:
        stat.close()
        capture.close()
    assert capture.stats()["dropped"] == 0


def test_part_filled_batch_goes_after_the_interval_without_a_flush(
    upstream: FakeUpstream, tmp_path: Any
) -> None:
    """Light traffic never fills a batch: what waits goes after ``batch_wait_ms``, so
    captures trail serving by a fraction of a second, not until the next flush."""
    url = f"sqlite:///{tmp_path / 'trickle.db'}"
    config = base_config(upstream, capture={"batch_size": 500, "batch_wait_ms": 50})
    capture = ProcessCapture(url, parse_config(config).capture)
    try:
        for i in range(3):
            assert capture.offer(_exchange(i))
        deadline = time.monotonic() + 30
        while capture.stats()["captured"] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert capture.stats()["captured"] == 3
    finally:
        capture.close()


@pytest.mark.parametrize("large", [False, True], ids=["small", "after-a-large-body"])
def test_an_exchange_that_cannot_be_pickled_fails_alone(
    upstream: FakeUpstream, tmp_path: Any, large: bool
) -> None:
    """Exchanges are pickled as they are offered: one that cannot be (a parsed request
    holding an odd object) is counted as failed, and the rest of its batch is written.
    A large body is written out before the pickler reaches the odd field: that part
    must be taken back, not left in the batch as bytes the writer has to read past."""
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    # batch_wait_ms: the batch must not go while the test looks into it
    config = base_config(upstream, capture={"batch_size": 10, "batch_wait_ms": 60_000})
    capture = ProcessCapture(url, parse_config(config).capture)
    odd = _exchange(99)._replace(request_body=b"")
    if large:
        odd = odd._replace(response_body=b"x" * 300_000, key_id=threading.Lock())
    else:
        odd = odd._replace(request={"lock": threading.Lock()})
    try:
        for i in range(5):
            assert capture.offer(tuple(_exchange(i)))  # as the relay offers them
        assert capture.offer(tuple(odd))
        # nothing of it stays in the batch (the head and one pickle per exchange)
        assert len(capture._filling.parts) == 1 + 5
        for i in range(5, 10):
            assert capture.offer(tuple(_exchange(i)))
        assert capture.flush(30)
        stats = capture.stats()
    finally:
        capture.close()
    assert (stats["captured"], stats["failed"], stats["pending"]) == (10, 1, 0)
    with open_store(url) as store:
        assert store.count_exchanges() == 10


def test_a_writer_that_dies_hands_its_batches_to_the_other(
    upstream: FakeUpstream, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer process that is killed (out of memory, say): its batches go to the other
    writer, and once both are gone exchanges count as failed, not pending for ever.
    Each loss is logged once, not once per batch."""
    url = f"sqlite:///{tmp_path / 'lost.db'}"
    config = base_config(upstream, capture={"batch_size": 10})
    capture = ProcessCapture(url, parse_config(config).capture)
    idle, catch_up = capture._writers
    try:
        idle.kill()
        idle.join(10)
        for i in range(30):
            assert capture.offer(tuple(_exchange(i)))
        assert capture.flush(30)
        stats = capture.stats()
        assert (stats["captured"], stats["failed"], stats["pending"]) == (30, 0, 0)
        os.kill(catch_up.pid, signal.SIGSTOP)  # handed batches it will never write
        for i in range(30, 60):
            assert capture.offer(tuple(_exchange(i)))
        assert capture.flush(1) is False
        assert capture.stats()["pending"] == 30
        catch_up.kill()
        catch_up.join(10)
        for i in range(60, 70):
            assert capture.offer(tuple(_exchange(i)))
        assert capture.flush(5) is False  # nobody left to write
        stats = capture.stats()
        # what the dead writer had been handed, and what came after, count as failed
        assert (stats["captured"], stats["failed"], stats["pending"]) == (30, 40, 0)
    finally:
        capture.close()
    gone = [r.getMessage() for r in caplog.records if "writer is gone" in r.getMessage()]
    assert len(gone) == 2, gone
    assert "the other writer takes its batches" in gone[0]
    with open_store(url) as store:
        assert store.count_exchanges() == 30


def _stream_through(upstream: FakeUpstream, gateway: Any, limit: int) -> tuple[bytes, Any]:
    """Stream a 43-event answer through a gateway capturing at most ``limit`` bytes of a
    body; return what the client got and the exchange offered to capture."""
    from recast.gateway._app import Exchange

    offered: list[Any] = []

    class Sink:
        def offer(self, exchange: Any) -> bool:
            offered.append(Exchange._make(exchange))
            return True

    upstream.set(chunk_delay=0.002)  # one event per read, so chunks are whole events
    config = base_config(upstream, capture={"max_body_bytes": limit})
    words = " ".join(f"word{i}" for i in range(40))
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": words}], "stream": True}
    with (
        gateway(config, capture=Sink()) as gw,
        gw.http.stream("POST", gw.v1 + "/chat/completions", json=body) as reply,
    ):
        relayed = b"".join(reply.iter_bytes())
    [exchange] = offered
    return relayed, exchange


@pytest.mark.parametrize("limit", [1024, 2600, -50, 1 << 20])
def test_a_long_stream_is_captured_as_a_prefix_of_whole_chunks(
    upstream: FakeUpstream, gateway: Any, limit: int
) -> None:
    """Past ``capture.max_body_bytes`` a stream's capture stops before the first chunk
    that does not fit: a prefix of what was relayed, without holes (the short last
    chunks must not be kept after a long one was left out), marked truncated. The
    client gets all of it. (-50: 50 bytes short of the whole stream, so the cut falls
    just before the short ``[DONE]`` chunk.)"""
    if limit < 0:
        whole, _ = _stream_through(upstream, gateway, 1 << 20)
        limit += len(whole)
    relayed, exchange = _stream_through(upstream, gateway, limit)
    assert relayed.endswith(b"data: [DONE]\n\n") and len(relayed) > 8000
    assert relayed.startswith(exchange.response_body)
    assert exchange.response_body.endswith(b"\n\n")  # whole events
    if limit < len(relayed):
        assert exchange.truncated
        assert limit - 300 < len(exchange.response_body) <= limit  # events are ~200 bytes
    else:
        assert not exchange.truncated and exchange.response_body == relayed
