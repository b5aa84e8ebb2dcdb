"""`recast watch` driven across simulated days (--as-of) with a catalog whose dates move."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.watch.conftest import make_catalog, write_catalog
from tests.watch.servers import free_port, smtp_server, webhook_receiver
from typer.testing import CliRunner

from recast.cli.main import app
from recast.store import open_store

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, store: str, smtp_port: int) -> Path:
    path = tmp_path / "recast.toml"
    path.write_text(
        f"""
[watch]
models = ["gpt-4-0613"]
store = "{store}"
traffic_days = 0

[[watch.channels]]
type = "slack"

[[watch.channels]]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "recast@example.com"
to = ["team@example.com"]
""",
        encoding="utf-8",
    )
    return path


def _watch(
    runner: CliRunner, config: Path, catalog: Path, day: str
) -> tuple[int, dict[str, Any], str]:
    result = runner.invoke(
        app,
        [
            "watch",
            "--config",
            str(config),
            "--catalog",
            str(catalog),
            "--as-of",
            day,
            "--format",
            "json",
        ],
    )
    return result.exit_code, json.loads(result.stdout), result.stderr


def _sent_kinds(document: dict[str, Any], channel: str) -> list[str]:
    return [key.split(":")[1] for key in _sent_keys(document, channel)]


def _sent_keys(document: dict[str, Any], channel: str) -> list[str]:
    return [
        key
        for alert in document["alerts"]
        for delivery in alert["deliveries"]
        if delivery["channel"] == channel and delivery["status"] == "sent"
        for key in delivery["events"]
    ]


def test_timeline(tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = tmp_path / "catalog.json"
    store = f"sqlite:///{tmp_path / 'watch.db'}"
    with webhook_receiver() as hook, smtp_server() as box:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{hook.url}/slack")
        config = _config(tmp_path, store, box.port)
        sent: dict[str, list[str]] = {"slack": [], "email": []}

        def day(when: str, **dates: Any) -> dict[str, Any]:
            write_catalog(catalog, make_catalog(**dates))
            code, document, err = _watch(runner, config, catalog, when)
            assert code == document["exit_code"], err
            for channel in sent:
                sent[channel] += _sent_keys(document, channel)
            return document

        # Deprecated on 2026-01-05, shutdown 2026-04-01: 86 days left on 2026-01-05.
        first = day("2026-01-05")
        assert _sent_kinds(first, "slack") == ["deprecated", "horizon-90"]
        assert day("2026-01-05")["alerts"] == []  # same day again: nothing
        assert day("2026-02-01")["alerts"] == []  # no horizon crossed
        assert _sent_kinds(day("2026-03-02"), "slack") == ["horizon-30"]
        # The provider moves the shutdown a month later: exactly one date-changed alert.
        moved = day("2026-03-03", shutdown="2026-05-01")
        assert [k for k in _sent_kinds(moved, "slack") if k.startswith("shutdown")] == [
            "shutdown-moved"
        ]
        assert day("2026-03-04", shutdown="2026-05-01")["alerts"] == []
        # The 7-day horizon: Slack fails that day; e-mail still delivers.
        hook.statuses["/slack"] = 500
        failed = day("2026-04-24", shutdown="2026-05-01")
        assert failed["exit_code"] == 2
        assert any("slack: HTTP 500" in f for f in failed["failures"])
        assert _sent_kinds(failed, "email") == ["horizon-7"]
        assert _sent_kinds(failed, "slack") == []
        # Next run: the failed Slack alert is retried (and sent), e-mail sends nothing new.
        hook.statuses.pop("/slack")
        retried = day("2026-04-25", shutdown="2026-05-01")
        assert retried["exit_code"] == 0
        assert (
            _sent_kinds(retried, "slack") == ["horizon-7"] and _sent_kinds(retried, "email") == []
        )
        assert _sent_kinds(day("2026-04-30", shutdown="2026-05-01"), "slack") == ["horizon-1"]
        assert _sent_kinds(day("2026-05-02", shutdown="2026-05-01"), "slack") == ["retired"]
        assert day("2026-05-03", shutdown="2026-05-01")["alerts"] == []
        emails = len(box.messages)
    # Every alert once per channel; the moved date's new deadline fires its own horizons
    # (the 90-day one rides in the date-changed alert).
    expected = [
        "deprecated",
        "horizon-90",
        "horizon-30",
        "shutdown-moved",
        "horizon-90",
        "horizon-7",
        "horizon-1",
        "retired",
    ]
    for channel, keys in sent.items():
        assert [k.split(":")[1] for k in keys] == expected, channel
        assert len(set(keys)) == len(keys), channel
    assert emails == 6  # one e-mail per alert: 05 Jan, 02 Mar, 03 Mar, 24 Apr, 30 Apr, 02 May
    assert len(hook.on("/slack")) == 7  # 6 alerts sent, one of them refused once first
    opened = open_store(store)
    try:
        rows = opened.list_alerts(channel="slack")
    finally:
        opened.close()
    assert {r.status for r in rows} == {"sent"}
    assert next(r for r in rows if ":horizon-7:" in r.alert_key).attempts == 2


def test_dry_run_sends_and_records_nothing(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = write_catalog(tmp_path / "catalog.json", make_catalog())
    store = f"sqlite:///{tmp_path / 'watch.db'}"
    with webhook_receiver() as hook:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{hook.url}/slack")
        config = _config(tmp_path, store, free_port())
        result = runner.invoke(
            app,
            [
                "watch",
                "--config",
                str(config),
                "--catalog",
                str(catalog),
                "--as-of",
                "2026-03-05",
                "--dry-run",
                "--channel",
                "slack",
            ],
        )
        assert result.exit_code == 0, result.stderr
        assert "would send: gpt-4-0613 on openai" in result.stdout
        assert hook.requests == []
    opened = open_store(store)
    try:
        assert opened.list_alerts() == [] and opened.get_state("watch:snapshots") is None
    finally:
        opened.close()


@pytest.mark.postgres
def test_two_concurrent_watchers_on_postgres_send_each_alert_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_schema_url")
    catalog = write_catalog(tmp_path / "catalog.json", make_catalog())
    models = ", ".join(f'"{m}"' for m in ("gpt-4-0613", "claude-3-sonnet-20240229@bedrock"))
    with webhook_receiver() as hook:
        config = tmp_path / "recast.toml"
        config.write_text(
            f'[watch]\nmodels = [{models}]\nstore = "{url}"\ntraffic_days = 0\n'
            '[[watch.channels]]\ntype = "webhook"\n',
            encoding="utf-8",
        )
        env = {
            "RECAST_WEBHOOK_URL": f"{hook.url}/hook",
            "RECAST_WEBHOOK_SECRET": "s",
            "RECAST_HOME": str(tmp_path / "home"),
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT / "src"),
        }
        command = [
            sys.executable,
            "-c",
            "from recast.cli.main import main; main()",
            "watch",
            "--config",
            str(config),
            "--catalog",
            str(catalog),
            "--as-of",
            "2026-03-05",
        ]
        runs = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        outcomes = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0, 0], outcomes
        keys = [r.json()["delivery"] for r in hook.on("/hook")]
    # Two offerings, each with its alert: four watchers, each alert sent exactly once.
    assert len(keys) == 2 and len(set(keys)) == 2
