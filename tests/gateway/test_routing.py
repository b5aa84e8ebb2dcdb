"""Routes: lifecycle policies, deprecation headers, canary, shadow, fallbacks."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from recast.gateway import ModelLifecycle, sunset_value
from recast.gateway._app import Exchange
from recast.store import open_store

from .conftest import base_config
from .upstream import FakeUpstream

RETIRING = {
    "gpt-4.5-preview": {
        "replacement": "gpt-4.1",
        "lifecycle": {
            "deprecated_on": "2025-04-14",
            "shutdown_on": "2025-07-14",
            "source": "https://platform.openai.com/docs/deprecations",
        },
    }
}

#: RFC 9745: Deprecation = sf-date ("@" integer); RFC 8594: Sunset = HTTP-date (IMF-fixdate).
SF_DATE = re.compile(r"^@-?\d{1,15}$")
IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} GMT$"
)


def _post(gw: Any, model: str, **extra: Any) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    return gw.http.post(gw.v1 + "/chat/completions", json=body)  # type: ignore[no-any-return]


def _routes(**routes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, route in routes.items():
        out[name.replace("_", "-").replace("gpt-4-5", "gpt-4.5")] = route
    return out


def test_warn_passes_through_with_rfc_headers(upstream: FakeUpstream, gateway: Any) -> None:
    config = base_config(upstream, routes=RETIRING)
    with gateway(config, today=date(2025, 5, 1)) as gw:
        reply = _post(gw, "gpt-4.5-preview")
    assert reply.status_code == 200
    assert upstream.requests[-1].json["model"] == "gpt-4.5-preview"
    headers = reply.headers
    assert SF_DATE.match(headers["deprecation"])
    assert IMF_FIXDATE.match(headers["sunset"])
    deprecation = int(headers["deprecation"][1:])
    sunset = parsedate_to_datetime(headers["sunset"])
    assert deprecation == int(datetime(2025, 4, 14, tzinfo=timezone.utc).timestamp())
    assert sunset == datetime(2025, 7, 14, tzinfo=timezone.utc)
    assert sunset.timestamp() >= deprecation
    link = headers["link"]
    assert '<https://platform.openai.com/docs/deprecations>; rel="deprecation"' in link
    assert '</v1/models/gpt-4.1>; rel="successor-version"' in link
    assert "x-recast-served-model" not in headers


def test_no_headers_for_undated_model(upstream: FakeUpstream, gateway: Any) -> None:
    with gateway(base_config(upstream)) as gw:
        reply = _post(gw, "gpt-4.1")
    assert "deprecation" not in reply.headers and "sunset" not in reply.headers


def test_redirect_from_date(upstream: FakeUpstream, gateway: Any) -> None:
    routes = {
        "gpt-4.5-preview": {
            **RETIRING["gpt-4.5-preview"],
            "policy": "redirect",
            "redirect_on": "2025-06-01",
        }
    }
    config = base_config(upstream, routes=routes)
    with gateway(config, today=date(2025, 5, 31)) as gw:
        before = _post(gw, "gpt-4.5-preview")
    with gateway(config, today=date(2025, 6, 1)) as gw:
        after = _post(gw, "gpt-4.5-preview", stream=True)
    assert "x-recast-served-model" not in before.headers
    assert after.headers["x-recast-served-model"] == "gpt-4.1"
    assert upstream.requests[-1].json["model"] == "gpt-4.1"
    assert "deprecation" in after.headers and "sunset" in after.headers


def test_redirect_automatically_once_retired(upstream: FakeUpstream, gateway: Any) -> None:
    routes = {"gpt-4.5-preview": {**RETIRING["gpt-4.5-preview"], "policy": "redirect"}}
    config = base_config(upstream, routes=routes)
    with gateway(config, today=date(2025, 7, 13)) as gw:
        assert "x-recast-served-model" not in _post(gw, "gpt-4.5-preview").headers
    with gateway(config, today=date(2025, 7, 14)) as gw:
        assert _post(gw, "gpt-4.5-preview").headers["x-recast-served-model"] == "gpt-4.1"


def test_block_is_410_naming_replacement(upstream: FakeUpstream, gateway: Any) -> None:
    routes = {"gpt-4.5-preview": {**RETIRING["gpt-4.5-preview"], "policy": "block"}}
    with gateway(base_config(upstream, routes=routes)) as gw:
        reply = _post(gw, "gpt-4.5-preview")
    assert reply.status_code == 410
    error = reply.json()["error"]
    assert "gpt-4.1" in error["message"] and error["code"] == "model_blocked"
    assert "deprecation" in reply.headers
    assert upstream.requests == []


def test_canary_split_within_tolerance_and_sticky(upstream: FakeUpstream, gateway: Any) -> None:
    routes = {"gpt-4o": {"canary": {"model": "gpt-4.1", "percent": 20}}}
    with gateway(base_config(upstream, routes=routes)) as gw:
        served = [_post(gw, "gpt-4o").headers.get("x-recast-served-model") for _ in range(400)]
        share = served.count("gpt-4.1") / len(served)
        # 400 draws at p=0.2: sd = 2 %, so ±7 % is three and a half sd
        assert 0.13 <= share <= 0.27
        # sticky: the same user always lands on the same side
        for user in ("alice", "bob", "carol", "dave", "erin"):
            sides = {
                _post(gw, "gpt-4o", user=user).headers.get("x-recast-served-model")
                for _ in range(8)
            }
            assert len(sides) == 1
        sessions = {
            gw.http.post(
                gw.v1 + "/chat/completions",
                json={"model": "gpt-4o", "messages": []},
                headers={"x-recast-session": "s-42"},
            ).headers.get("x-recast-served-model")
            for _ in range(8)
        }
        assert len(sessions) == 1


@given(st.lists(st.text(min_size=1, max_size=12), min_size=200, max_size=200, unique=True))
def test_sticky_bucket_is_uniform(users: list[str]) -> None:
    from recast.gateway._routing import _bucket

    values = [_bucket("gpt-4o", u) for u in users]
    assert all(0.0 <= v < 1.0 for v in values)
    assert values == [_bucket("gpt-4o", u) for u in users]  # stable
    assert 0.05 < sum(v < 0.3 for v in values) / len(values) < 0.55


def test_fallbacks_on_each_failure_class(upstream: FakeUpstream, gateway: Any) -> None:
    routes = {
        name: {"fallbacks": ["gpt-4.1"]}
        for name in ("gpt-fail500", "gpt-fail429", "gpt-missing", "gpt-hang", "gpt-drop")
    }
    config = base_config(upstream, routes=routes)
    config["upstreams"][0]["timeouts"] = {"connect": 1, "read": 0.5}
    upstream.set(hang_seconds=2)
    with gateway(config) as gw:
        for model in routes:
            reply = _post(gw, model)
            assert reply.status_code == 200, (model, reply.text)
            assert reply.headers["x-recast-served-model"] == "gpt-4.1"
            assert reply.json()["choices"][0]["message"]["content"] == "echo: hi"
        errors = gw.app.metrics.upstream_errors.values
    assert errors[("fake", "5xx")] == 1
    assert errors[("fake", "429")] == 1
    assert errors[("fake", "404")] == 1
    assert errors[("fake", "timeout")] == 1
    assert errors[("fake", "protocol")] == 1


def test_fallback_to_other_upstream_and_final_failure(gateway: Any) -> None:
    from .conftest import free_port

    with FakeUpstream() as good:
        config = {
            "upstreams": [
                {
                    "name": "primary",
                    "base_url": f"http://127.0.0.1:{free_port()}/v1",
                    "models": ["gpt-4o"],
                },
                {"name": "backup", "base_url": good.url},
            ],
            "routes": {
                "gpt-4o": {"fallbacks": ["gpt-4o@backup"]},
                "gpt-x": {"upstream": "primary", "fallbacks": ["gpt-fail500@backup"]},
            },
            "access": {"require_key": False},
            "catalog_lifecycles": False,
        }
        with gateway(config) as gw:
            ok = _post(gw, "gpt-4o")
            failed = _post(gw, "gpt-x")
    assert ok.status_code == 200 and "x-recast-served-model" not in ok.headers
    assert good.requests[0].json["model"] == "gpt-4o"
    assert failed.status_code == 502
    assert "'backup'" in failed.json()["error"]["message"]


def test_last_429_passes_through(upstream: FakeUpstream, gateway: Any) -> None:
    with gateway(base_config(upstream)) as gw:
        reply = _post(gw, "gpt-fail429")
    assert reply.status_code == 429
    assert reply.headers["retry-after"] == "1"


def test_shadow_sampling_does_not_delay_client(upstream: FakeUpstream, gateway: Any) -> None:
    # The candidate hangs for 3 s: if the client waited for its shadow, the 30 client
    # requests could not all be answered while every shadow is still in flight.
    routes = {"gpt-4o": {"shadow": {"models": ["gpt-hang-candidate"], "rate": 0.5}}}
    captured: list[Any] = []

    class Sink:
        def offer(self, exchange: Any) -> bool:
            captured.append(Exchange._make(exchange))  # the relay offers plain tuples
            return True

    upstream.set(hang_seconds=3)
    config = base_config(upstream, routes=routes)
    config["upstreams"][0]["timeouts"] = {"connect": 1, "read": 2}
    with gateway(config, capture=Sink()) as gw:
        for _ in range(30):
            reply = _post(gw, "gpt-4o")
            assert reply.status_code == 200
            assert reply.json()["model"] == "gpt-4o-2024-07-18"
            assert "x-recast-served-model" not in reply.headers
        in_flight = gw.app._shadow_in_flight
        sampled = gw.app.metrics.shadow.total() + in_flight
        assert in_flight > 0 and not any(e.shadow_of for e in captured)
        deadline = time.monotonic() + 15
        while gw.app._background and time.monotonic() < deadline:
            time.sleep(0.05)
    shadows = [e for e in captured if e.shadow_of]
    primaries = {e.id: e for e in captured if not e.shadow_of}
    assert len(primaries) == 30
    assert 5 <= len(shadows) <= 25 and len(shadows) == sampled  # rate 0.5 of 30
    assert all(s.shadow_of in primaries and s.served_model == "gpt-hang-candidate" for s in shadows)
    assert all(s.route == "shadow" and s.error for s in shadows)  # timed out, recorded


def test_shadow_results_are_audition_ready(
    upstream: FakeUpstream, gateway: Any, tmp_path: Path
) -> None:
    routes = {"gpt-4o": {"shadow": {"models": ["gpt-4.1", "gpt-4.1-mini"], "rate": 1.0}}}
    captured: list[Any] = []

    class Sink:
        def offer(self, exchange: Any) -> bool:
            captured.append(Exchange._make(exchange))  # the relay offers plain tuples
            return True

    with gateway(base_config(upstream, routes=routes), capture=Sink()) as gw:
        assert _post(gw, "gpt-4o", stream=True).status_code == 200
        deadline = time.monotonic() + 10
        while (gw.app._background or len(captured) < 3) and time.monotonic() < deadline:
            time.sleep(0.05)
    from recast.gateway._capture import to_captured

    with open_store(f"sqlite:///{tmp_path / 'shadow.db'}") as store:
        store.capture_many([to_captured(e) for e in captured])
        rows = list(store.iter_exchanges(include_shadows=True))
    primary = next(r for r in rows if r.shadow_of is None)
    shadows = sorted((r for r in rows if r.shadow_of), key=lambda r: r.served_model or "")
    assert [s.served_model for s in shadows] == ["gpt-4.1", "gpt-4.1-mini"]
    for row in (primary, *shadows):
        assert row.request["messages"][0]["content"] == "hi"  # type: ignore[index]
        message = row.response["choices"][0]["message"]  # type: ignore[index]
        assert message["content"].strip() == "echo: hi"
        assert row.stream is True
    assert all(s.shadow_of == primary.id for s in shadows)


def test_header_dates_are_consistent() -> None:
    life = ModelLifecycle("m", deprecated_on=date(2026, 3, 1), shutdown_on=date(2026, 1, 1))
    headers = dict(life.headers())
    deprecation = int(headers[b"deprecation"][1:])
    sunset = parsedate_to_datetime(headers[b"sunset"].decode())
    assert sunset.timestamp() >= deprecation  # clamped: never a Sunset before Deprecation
    assert sunset_value(date(1994, 11, 6)) == "Sun, 06 Nov 1994 00:00:00 GMT"


def test_shutdown_only_model_still_gets_deprecation() -> None:
    headers = dict(ModelLifecycle("m", shutdown_on=date(2026, 6, 1)).headers())
    assert headers[b"deprecation"] == b"@1780272000"
    assert headers[b"sunset"] == b"Mon, 01 Jun 2026 00:00:00 GMT"


@pytest.mark.parametrize("model", ["gpt-4.5-preview"])
def test_deprecation_logged_once_per_hour(
    upstream: FakeUpstream, gateway: Any, model: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="recast.gateway")
    with gateway(base_config(upstream, routes=RETIRING)) as gw:
        for _ in range(25):
            _post(gw, model)
    lines = [r for r in caplog.records if r.getMessage() == "deprecated model in use"]
    assert len(lines) == 1
    assert lines[0].fields["model"] == model  # type: ignore[attr-defined]


def test_catalog_block_names_the_live_replacement_not_a_retired_one(
    upstream: FakeUpstream, gateway: Any
) -> None:
    """gpt-4-0314's sources name gpt-4, itself retired by 2026-11-27: the block says what
    still works that day (the end of the chain), never "use gpt-4 instead"."""
    config = base_config(upstream, routes={"gpt-4-0314": {"policy": "block"}})
    config["catalog_lifecycles"] = True
    with gateway(config, today=date(2026, 11, 27)) as gw:
        reply = _post(gw, "gpt-4-0314")
    assert reply.status_code == 410
    message = reply.json()["error"]["message"]
    assert "'gpt-4'" not in message
    from recast.catalog import load_catalog, lookup, resolve

    catalog = load_catalog()
    named = re.search(r"Use '([^']+)' instead", message)
    assert named is not None
    (target, *_) = resolve(named.group(1), "openai", catalog=catalog)
    assert target.lifecycle.state_on(date(2026, 11, 27)) in ("active", "legacy")
    assert lookup("gpt-4", "openai", catalog=catalog).lifecycle.state_on(date(2026, 11, 27)) == (
        "retired"
    )
