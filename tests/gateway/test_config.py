"""Config validation, hot reload, and the `recast serve` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from recast.cli.main import app as cli
from recast.errors import ConfigError
from recast.gateway import load_config, parse_config
from recast.gateway._server import Runtime

from .conftest import free_port, serve_app
from .upstream import FakeUpstream


def _yaml(upstream: FakeUpstream, alias: str) -> str:
    return (
        "upstreams:\n"
        "  - name: fake\n"
        f"    base_url: {upstream.url}\n"
        "access:\n"
        "  require_key: false\n"
        "catalog_lifecycles: false\n"
        "routes:\n"
        "  support-bot:\n"
        f"    alias: {alias}\n"
    )


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"upstreams": []}, "upstreams: List should have at least 1 item"),
        ({"upstreams": [{"name": "a", "base_url": "ftp://x"}]}, "upstreams.0.base_url"),
        (
            {"upstreams": [{"name": "a", "base_url": "http://x", "kind": "grpc"}]},
            "upstreams.0.kind",
        ),
        (
            {
                "upstreams": [{"name": "a", "base_url": "http://x"}],
                "routes": {"gpt-4o": {"canary": {"model": "gpt-4.1", "percent": 140}}},
            },
            "routes.gpt-4o.canary.percent",
        ),
        (
            {
                "upstreams": [{"name": "a", "base_url": "http://x"}],
                "routes": {"gpt-4o": {"shadow": {"models": ["m"], "rate": 2}}},
            },
            "routes.gpt-4o.shadow.rate",
        ),
        (
            {
                "upstreams": [{"name": "a", "base_url": "http://x"}],
                "routes": {"m": {"policy": "explode"}},
            },
            "routes.m.policy",
        ),
        (
            {
                "upstreams": [{"name": "a", "base_url": "http://x"}],
                "routes": {"m": {"fallbacks": ["x@nowhere"]}},
            },
            "'nowhere'",
        ),
        (
            {"upstreams": [{"name": "a", "base_url": "http://x", "timeout": 3}]},
            "upstreams.0.timeout: Extra inputs are not permitted",
        ),
        (
            {
                "upstreams": [{"name": "a", "base_url": "http://x"}],
                "capture": {"redact_patterns": ["("]},
            },
            "capture.redact_patterns",
        ),
        (
            {
                "upstreams": [{"name": "a", "base_url": "http://x"}],
                "capture": {"batch_wait_ms": 0},
            },
            "capture.batch_wait_ms",
        ),
    ],
)
def test_bad_config_names_the_field(document: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(document, "gw.yaml")
    assert where in str(err.value)
    assert str(err.value).startswith("gw.yaml: ")


def test_load_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("upstreams: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(bad)


def test_fallback_string_forms() -> None:
    config = parse_config(
        {
            "upstreams": [
                {"name": "a", "base_url": "http://x"},
                {"name": "b", "base_url": "http://y"},
            ],
            "routes": {"m": {"fallbacks": ["n", "o@b"]}},
        }
    )
    targets = config.routes["m"].fallbacks
    assert [(t.model, t.upstream) for t in targets] == [("n", None), ("o", "b")]


def _served(url: str) -> str | None:
    reply = httpx.post(
        url + "/v1/chat/completions", json={"model": "support-bot", "messages": []}, timeout=10
    )
    return reply.headers.get("x-recast-served-model")


def test_hot_reload_on_file_change_keeps_old_on_error(
    upstream: FakeUpstream, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(_yaml(upstream, "gpt-4.1"))
    runtime = Runtime(path, capture=False, watch=True)
    with serve_app(runtime.gateway) as (url, _):
        assert _served(url) == "gpt-4.1"
        # a slow request in flight across the reload still finishes
        slow: dict[str, Any] = {}
        thread = threading.Thread(
            target=lambda: slow.update(
                reply=httpx.post(
                    url + "/v1/chat/completions",
                    json={"model": "gpt-slow1500", "messages": []},
                    timeout=10,
                )
            )
        )
        thread.start()
        time.sleep(0.3)
        path.write_text(_yaml(upstream, "gpt-4.1-mini"))
        os.utime(path, (time.time() + 5, time.time() + 5))
        deadline = time.monotonic() + 10
        while _served(url) != "gpt-4.1-mini" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _served(url) == "gpt-4.1-mini"
        thread.join(10)
        assert slow["reply"].status_code == 200
        caplog.set_level("ERROR", logger="recast.gateway")
        path.write_text("upstreams: [{name: a, base_url: 'not a url'}]\n")
        os.utime(path, (time.time() + 10, time.time() + 10))
        deadline = time.monotonic() + 10
        while not any("reload failed" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert _served(url) == "gpt-4.1-mini"  # the old config still serves
    failed = next(r for r in caplog.records if "reload failed" in r.getMessage())
    assert "upstreams.0.base_url" in failed.fields["error"]  # type: ignore[attr-defined]


def test_recast_serve_check(tmp_path: Path, upstream: FakeUpstream) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(_yaml(upstream, "gpt-4.1"))
    runner = CliRunner()
    ok = runner.invoke(cli, ["serve", "--config", str(good), "--check"])
    assert ok.exit_code == 0, ok.output
    assert "ok (1 upstreams, 1 routes)" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("upstreams:\n  - name: a\n    base_url: http://x\n    concurrency: 0\n")
    failed = runner.invoke(cli, ["serve", "--config", str(bad), "--check"])
    assert failed.exit_code == 2
    assert "upstreams.0.concurrency" in failed.output
    missing = runner.invoke(cli, ["serve"])
    assert missing.exit_code == 2 and "--config" in missing.output


def test_recast_serve_keys_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    store = f"sqlite:///{tmp_path / 'keys.db'}"
    created = runner.invoke(
        cli,
        [
            "serve",
            "keys",
            "create",
            "billing",
            "--models",
            "gpt-4.1,gpt-4.1-mini",
            "--rpm",
            "60",
            "--store",
            store,
            "--json",
        ],
    )
    assert created.exit_code == 0, created.output
    doc = json.loads(created.stdout)
    assert doc["schema_version"] == 1 and doc["key"].startswith("rcst-")
    listed = runner.invoke(cli, ["serve", "keys", "list", "--store", store, "--json"])
    keys = json.loads(listed.stdout)["keys"]
    assert [k["name"] for k in keys] == ["billing"]
    assert keys[0]["allowed_models"] == ["gpt-4.1", "gpt-4.1-mini"]
    assert doc["key"] not in listed.stdout
    revoked = runner.invoke(cli, ["serve", "keys", "revoke", doc["id"], "--store", store])
    assert revoked.exit_code == 0
    again = runner.invoke(cli, ["serve", "keys", "revoke", doc["id"], "--store", store])
    assert again.exit_code == 2 and "No active gateway key" in again.output
    empty = runner.invoke(cli, ["serve", "keys", "list", "--store", store, "--json"])
    assert json.loads(empty.stdout)["keys"] == []


def _wait_ready(url: str, process: subprocess.Popen[str], seconds: float, poll: float) -> None:
    """Wait for a ``recast serve`` process to answer /readyz; fail if it dies or takes long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(poll)


@pytest.mark.slow
def test_recast_serve_process_sighup_and_graceful_stop(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(_yaml(upstream, "gpt-4.1").replace("require_key: false", "require_key: true"))
    env = {**os.environ, "RECAST_HOME": str(tmp_path / "home")}
    recast = [sys.executable, "-c", "from recast.cli.main import main; main()"]
    key = subprocess.run(
        [*recast, "serve", "keys", "create", "t", "--config", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [*recast, "serve", "--config", str(path), "--port", str(port), "--no-watch"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"authorization": f"Bearer {key}"}
    try:
        _wait_ready(url, process, seconds=60, poll=0.2)

        def served() -> str | None:
            return httpx.post(
                url + "/v1/chat/completions",
                headers=headers,
                timeout=10,
                json={"model": "support-bot", "messages": []},
            ).headers.get("x-recast-served-model")

        assert served() == "gpt-4.1"
        path.write_text(path.read_text().replace("alias: gpt-4.1", "alias: gpt-4o"))
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while served() != "gpt-4o":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert httpx.get(url + "/healthz").json() == {"status": "ok"}
        metrics = httpx.get(url + "/metrics").text
        assert 'recast_requests_total{model="support-bot",served_model="gpt-4o"' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    # uvicorn re-raises the SIGTERM it handled once shutdown is complete
    assert process.returncode in (0, -signal.SIGTERM)
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    events = [line.get("event") for line in lines]
    assert "reloaded" in events and "capture_closed" in events
    closed = next(line for line in lines if line.get("event") == "capture_closed")
    assert closed["captured"] == closed["accepted"] and closed["dropped"] == 0
    assert key not in stderr


def test_worker_start_falls_back_to_last_good_config(
    tmp_path: Path, upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    from recast.gateway._server import _load

    live = tmp_path / "gw.yaml"
    snapshot = tmp_path / "last-good.yaml"
    live.write_text(_yaml(upstream, "gpt-4.1"))
    assert _load(live, snapshot).routes["support-bot"].alias == "gpt-4.1"
    assert snapshot.read_text() == live.read_text()
    live.write_text("upstreams: 3\n")
    caplog.set_level("ERROR", logger="recast.gateway")
    kept = _load(live, snapshot)
    assert kept.routes["support-bot"].alias == "gpt-4.1"
    assert any("reload failed" in r.getMessage() for r in caplog.records)
    with pytest.raises(ConfigError):
        _load(live, None)


@pytest.mark.slow
def test_two_workers_survive_sighup_with_broken_config(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(_yaml(upstream, "gpt-4.1"))
    env = {**os.environ, "RECAST_HOME": str(tmp_path / "home")}
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from recast.cli.main import main; main()",
            "serve",
            "--config",
            str(path),
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-watch",
            "--no-capture",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, seconds=90, poll=0.3)
        assert _served(url) == "gpt-4.1"
        path.write_text("upstreams: [{name: a, base_url: nope}]\n")
        process.send_signal(signal.SIGHUP)  # uvicorn restarts both workers
        time.sleep(3)
        deadline = time.monotonic() + 60
        answers = []
        while len(answers) < 10:
            try:
                answers.append(_served(url))
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        assert answers == ["gpt-4.1"] * 10  # the last good config serves on
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert "keeping the running config" in stderr
