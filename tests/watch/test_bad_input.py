"""Bad input: unreachable servers, a revoked token, a malformed config, a missing secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.watch.conftest import make_catalog, write_catalog
from tests.watch.servers import fake_github, free_port, webhook_receiver
from typer.testing import CliRunner

from recast.cli.main import app
from recast.store import open_store


def test_failing_channels_fail_alone_and_nothing_is_marked_sent(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = write_catalog(tmp_path / "catalog.json", make_catalog())
    store = tmp_path / "watch.db"
    dead = free_port()
    with webhook_receiver() as hook, fake_github() as gh:
        secret_url = f"http://127.0.0.1:{dead}/services/T0/B0/XOXB-SECRET"
        monkeypatch.setenv("SLACK_WEBHOOK_URL", secret_url)
        monkeypatch.setenv("DISCORD_WEBHOOK_URL", f"{hook.url}/discord")
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_revoked_token")
        monkeypatch.delenv("RECAST_WEBHOOK_URL", raising=False)
        config = tmp_path / "recast.toml"
        config.write_text(
            f"""[watch]
models = ["gpt-4-0613"]
store = "{store}"
traffic_days = 0
[[watch.channels]]
type = "slack"
[[watch.channels]]
type = "discord"
[[watch.channels]]
type = "email"
host = "127.0.0.1"
port = {free_port()}
security = "none"
from = "r@example.com"
to = ["t@example.com"]
[[watch.channels]]
type = "github"
repo = "acme/app"
api_url = "{gh.url}"
[[watch.channels]]
type = "webhook"
""",
            encoding="utf-8",
        )
        result = runner.invoke(
            app,
            ["watch", "--config", str(config), "--catalog", str(catalog), "--as-of", "2026-03-05"],
        )
        assert len(hook.on("/discord")) == 1  # the working channel still delivered
        assert gh.issues == {}
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 4, result.stderr
    assert any(
        e.startswith("Error: slack: cannot reach the webhook in $SLACK_WEBHOOK_URL") for e in errors
    )
    assert any(
        e.startswith("Error: email: cannot send through SMTP server 127.0.0.1:") for e in errors
    )
    assert any(
        "github: HTTP 401 (Bad credentials): the token in $GITHUB_TOKEN is revoked" in e
        for e in errors
    )
    assert any("webhook: $RECAST_WEBHOOK_URL is not set" in e for e in errors)
    everything = result.stdout + result.stderr
    assert "XOXB-SECRET" not in everything and "ghp_revoked_token" not in everything
    opened = open_store(store)
    try:
        rows = {r.channel: r for r in opened.list_alerts()}
    finally:
        opened.close()
    assert rows["discord"].status == "sent"
    assert {rows[c].status for c in ("slack", "email", "github", "webhook")} == {"failed"}
    assert all("XOXB-SECRET" not in (r.last_error or "") for r in rows.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[watch]\nchannels = [{type = "email", host = "h", from = "a@b.c"}]\n',
            "watch.channels.0.email.to: Field required",
        ),
        ("[watch]\nhorizons = [30, -1]\n", "watch.horizons: horizons are days before a shutdown"),
        ('[watch]\nchannels = [{type = "pager"}]\n', "watch.channels.0"),
        ('[watch]\nmodels = ["gpt-4-0613"]\nmodles = []\n', "watch.modles: Extra inputs"),
        ("[watch\n", "is not valid TOML"),
        ('[watch]\nmodels = ["no-such-model-xyz"]\n', "Unknown model 'no-such-model-xyz'"),
        ('[watch]\nchannels = [{type = "slack"}, {type = "slack"}]\n', "'slack' is used twice"),
    ],
)
def test_malformed_config_is_one_line_and_sends_nothing(
    tmp_path: Path, runner: CliRunner, text: str, message: str
) -> None:
    catalog = write_catalog(tmp_path / "catalog.json", make_catalog())
    config = tmp_path / "recast.toml"
    config.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "watch",
            "--config",
            str(config),
            "--catalog",
            str(catalog),
            "--store",
            str(tmp_path / "s.db"),
        ],
    )
    assert result.exit_code == 2
    progress = "recast watch: "
    lines = [x for x in result.stderr.strip().splitlines() if not x.startswith(progress)]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert result.stdout == ""


def test_offline_sync_falls_back_with_one_line(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    def refuse(*args: object, **kwargs: object) -> None:
        raise httpx.ConnectError("network is unreachable")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    result = runner.invoke(
        app,
        [
            "watch",
            "--model",
            "gpt-4.5-preview",
            "--as-of",
            "2025-06-20",
            "--store",
            str(tmp_path / "s.db"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "catalog sync failed" in line]
    assert len(notes) == 1
    assert '"horizon-30' not in result.stdout or '"alerts"' in result.stdout
