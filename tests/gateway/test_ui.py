"""The /ui dashboard, rendered by the server and read in headless Chromium."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recast.gateway import parse_config
from recast.gateway._capture import StoreCapture
from recast.gateway._ui import render_dashboard

from .conftest import base_config
from .upstream import FakeUpstream


@dataclass
class _Runtime:
    store: Any
    capture: Any


@pytest.mark.browser
def test_dashboard_in_chromium(
    upstream: FakeUpstream, gateway: Any, tmp_path: Path, chromium: Any
) -> None:
    routes = {
        "gpt-4.5-preview": {
            "policy": "redirect",
            "replacement": "gpt-4.1",
            "lifecycle": {"deprecated_on": "2025-04-14", "shutdown_on": "2025-07-14"},
        },
        "gpt-4o": {
            "canary": {"model": "gpt-4.1", "percent": 25},
            "shadow": {"models": ["gpt-4.1-mini"], "rate": 1.0},
        },
        "support-bot": {"alias": "gpt-4.1"},
    }
    config = base_config(upstream, routes=routes)
    capture = StoreCapture.open(f"sqlite:///{tmp_path / 'ui.db'}", parse_config(config).capture)
    with gateway(config, capture=capture, ui=render_dashboard) as gw:
        gw.app.runtime = _Runtime(capture.store, capture)
        for i in range(12):
            gw.http.post(
                gw.v1 + "/chat/completions",
                json={
                    "model": "gpt-4o",
                    "user": f"u{i}",
                    "messages": [{"role": "user", "content": f"q{i}"}],
                },
            )
        for _ in range(4):
            gw.http.post(
                gw.v1 + "/chat/completions", json={"model": "gpt-4.5-preview", "messages": []}
            )
        deadline = time.monotonic() + 10
        while gw.app._background and time.monotonic() < deadline:
            time.sleep(0.05)
        capture.writer.flush(10)
        page = chromium.new_page()
        response = page.goto(gw.url + "/ui")
        assert response is not None and response.status == 200
        models = page.locator("#models tbody tr").all_inner_texts()
        routes_rows = page.locator("#routes tbody tr").all_inner_texts()
        shadows = page.locator("#shadows tbody tr").all_inner_texts()
        page.screenshot(path=str(tmp_path / "ui.png"), full_page=True)
    capture.close()
    assert models[0].startswith("gpt-4o\t12\t") and "75.0%" in models[0]
    retiring = next(row for row in models if row.startswith("gpt-4.5-preview"))
    assert "retired" in retiring and "2025-07-14" in retiring and "gpt-4.1" in retiring
    canary = next(row for row in routes_rows if row.startswith("gpt-4o"))
    assert "25.0% → gpt-4.1" in canary and "gpt-4.1-mini" in canary
    assert any(row.startswith("gpt-4.5-preview") and "redirect" in row for row in routes_rows)
    assert len(shadows) >= 1
    assert any("gpt-4.1-mini" in row and "100%" in row for row in shadows)
