"""Load and faults on loopback: 10k requests, a share failing or slow, nothing unanswered."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import httpx
import pytest

from recast.gateway import parse_config
from recast.gateway._capture_proc import ProcessCapture
from recast.store import open_store

from .conftest import base_config
from .upstream import FakeUpstream

TOTAL = 10_000

#: requested model -> (share, statuses the client may see)
MIX = {
    "gpt-4o": (0.80, {200}),
    "gpt-fail500-fb": (0.05, {200}),  # fails, falls back to gpt-4o
    "gpt-fail500": (0.03, {502}),  # fails, no fallback
    "gpt-fail429": (0.03, {429}),
    "gpt-slow30": (0.05, {200}),
    "gpt-hang": (0.02, {504}),
    "gpt-drop": (0.02, {502}),
}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ten_thousand_requests_with_faults(
    upstream: FakeUpstream, gateway: Any, tmp_path: Any
) -> None:
    rng = random.Random(7)
    models = rng.choices(list(MIX), weights=[share for share, _ in MIX.values()], k=TOTAL)
    streams = [rng.random() < 0.2 for _ in range(TOTAL)]
    config = base_config(
        upstream,
        routes={"gpt-fail500-fb": {"fallbacks": ["gpt-4o"]}},
        capture={"queue_size": 20_000, "batch_size": 500},
    )
    # the read timeout is generous so a loaded test machine does not turn slow into hung
    config["upstreams"][0]["timeouts"] = {"connect": 2, "read": 1.5}
    upstream.set(hang_seconds=2.5)
    retried: list[int] = []
    url = f"sqlite:///{tmp_path / 'load.db'}"
    capture = ProcessCapture(url, parse_config(config).capture)
    with gateway(config, capture=capture) as gw:

        async def run() -> list[tuple[str, int]]:
            limits = httpx.Limits(max_connections=48, max_keepalive_connections=48)
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                sem = asyncio.Semaphore(48)

                async def one(i: int) -> tuple[str, int]:
                    body = {
                        "model": models[i],
                        "stream": streams[i],
                        "messages": [{"role": "user", "content": f"request {i}"}],
                    }
                    async with sem:
                        for attempt in (1, 2):
                            try:
                                reply = await client.post(gw.v1 + "/chat/completions", json=body)
                                await reply.aread()
                                break
                            except (httpx.ReadError, httpx.RemoteProtocolError):
                                # A kept-alive connection closed under the request, as the
                                # openai SDK would see and retry. Had the gateway taken the
                                # request, it would have captured it: `offered == TOTAL`
                                # below fails on any request handled twice.
                                retried.append(i)
                                if attempt == 2:
                                    raise
                    return models[i], reply.status_code

                return list(await asyncio.gather(*(one(i) for i in range(TOTAL))))

        results = asyncio.run(run())
        offered = gw.app.metrics.captures_offered.total()
        dropped = gw.app.metrics.captures_dropped.total()
        assert gw.app.stats.in_flight == 0
    assert capture.close(120)
    assert len(results) == TOTAL
    assert len(retried) <= 3, f"{len(retried)} connections closed under requests"
    unexpected = [(m, s) for m, s in results if s not in MIX[m][1]]
    assert unexpected == []
    stats = capture.stats()
    assert offered == TOTAL and dropped == 0
    assert stats["captured"] == TOTAL and stats["failed"] == 0 and stats["pending"] == 0
    store = open_store(url)
    try:
        rows = list(store.iter_exchanges())
    finally:
        store.close()
    assert len(rows) == TOTAL
    by_status = Counter((r.requested_model, r.status_code) for r in rows)
    assert by_status == Counter(results)
    assert {r.request["messages"][0]["content"] for r in rows} == {  # type: ignore[index]
        f"request {i}" for i in range(TOTAL)
    }
    fallbacks = [r for r in rows if r.requested_model == "gpt-fail500-fb"]
    assert all(r.route == "fallback" and r.served_model == "gpt-4o" for r in fallbacks)
