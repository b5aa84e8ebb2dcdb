"""Operational details: metric label caps, upstream pools after a reload."""

from __future__ import annotations

from recast.gateway._metrics import Metrics
from recast.gateway._upstream import UpstreamPool

from .upstream import FakeUpstream


def test_model_labels_are_capped_but_configured_models_always_kept() -> None:
    metrics = Metrics(max_model_labels=3)
    metrics.know_models(["gpt-4.1", "support-bot"])
    seen = [metrics.model(f"client-model-{n}") for n in range(6)]
    assert seen == ["client-model-0", "client-model-1", "client-model-2", "other", "other", "other"]
    assert metrics.model("gpt-4.1") == "gpt-4.1"  # configured: never folded
    assert metrics.model("support-bot") == "support-bot"
    assert metrics.model("client-model-1") == "client-model-1"  # already a label: stays
    assert metrics.model("") == ""
    for n in range(6):
        metrics.requests.inc((metrics.model(f"client-model-{n}"), "", "direct", "200"))
    labels = {values[0] for values in metrics.requests.values}
    assert labels == {"client-model-0", "client-model-1", "client-model-2", "other"}
    assert 'model="other"' in metrics.render()


async def test_closed_pool_drops_connections_released_later(upstream: FakeUpstream) -> None:
    pool = UpstreamPool(upstream.url)
    warm = await pool.request(b"GET", "/models", [], b"")
    await warm.read()
    assert len(pool._idle) == 1  # kept alive while the pool is open

    in_flight = await pool.request(b"GET", "/models", [], b"")
    pool.close()  # a reload retires the pool while a request is under way
    assert len(pool._idle) == 0
    body = await in_flight.read()  # the request still finishes
    assert body
    assert len(pool._idle) == 0  # and its connection is closed, not kept idle
    assert pool.in_flight == 0
