"""Each channel against a real server on loopback, its payload checked against the
format's documented shape and limits; the HMAC verified the way docs/watch.md says."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.watch.conftest import make_catalog
from tests.watch.servers import fake_github, smtp_server, webhook_receiver

from recast.store import Store, open_store
from recast.watch import Event, build_alert, parse_watch_config, watch
from recast.watch._watchset import Location, Traffic, WatchEntry

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 3, 5)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = open_store(tmp_path / "watch.db")
    yield opened
    opened.close()


def _config(channels: list[dict[str, Any]], models: list[str] | None = None) -> Any:
    return parse_watch_config(
        {"models": models or ["gpt-4-0613"], "channels": channels}, "test.toml"
    )


def _run(store: Store, channels: list[dict[str, Any]], **kwargs: Any) -> Any:
    return watch(_config(channels), store=store, as_of=AS_OF, catalog=make_catalog(), **kwargs)


# --------------------------------------------------------------------------- Slack


def check_slack(payload: dict[str, Any]) -> None:
    """Block Kit as Slack documents it: at most 50 blocks, header plain_text <= 150,
    section text <= 3000, at most 10 fields of <= 2000, context elements <= 10."""
    assert isinstance(payload["text"], str) and payload["text"]
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= 50
    for block in blocks:
        assert block["type"] in ("header", "section", "context", "divider")
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            if "text" in block:
                assert block["text"]["type"] == "mrkdwn"
                assert 0 < len(block["text"]["text"]) <= 3000
            if "fields" in block:
                assert 0 < len(block["fields"]) <= 10
                assert all(len(f["text"]) <= 2000 for f in block["fields"])
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10


def test_slack_receives_block_kit(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook_receiver() as hook:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{hook.url}/services/T0/B0/secret")
        result = _run(store, [{"type": "slack"}])
        assert result.exit_code == 0
        (request,) = hook.on("/services/T0/B0/secret")
    payload = request.json()
    check_slack(payload)
    text = str(payload)
    assert "gpt-4-0613 on openai" in payload["text"]
    assert "2026-04-01 (exact)" in text and "27 days left" in text
    assert "gpt-4.1" in text and "recast audition" in text
    assert "overlay, https://platform.openai.com/docs/deprecations, read 2026-01-02" in text


def test_slack_keeps_to_its_limits_for_a_huge_alert() -> None:
    from recast.watch import slack_payload

    catalog = make_catalog()
    offering = next(o for o in catalog.offerings if o.platform_id == "gpt-4-0613")
    locations = tuple(Location(f"src/{'x' * 200}{i}.py", i, "gpt-4-0613") for i in range(400))
    entry = WatchEntry(offering, ("scan",), locations)
    events = [Event("horizon", f"k{i}", "t" * 500) for i in range(60)]
    check_slack(slack_payload(build_alert(entry, events, AS_OF, catalog)))


# --------------------------------------------------------------------------- Teams


def check_teams(payload: dict[str, Any]) -> None:
    """The Workflows webhook envelope: a message with one Adaptive Card attachment."""
    import json

    assert len(json.dumps(payload).encode()) <= 28 * 1024
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    for element in card["body"]:
        assert element["type"] in ("TextBlock", "FactSet")
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str) and element["text"]
        else:
            assert all(
                isinstance(f["title"], str) and isinstance(f["value"], str)
                for f in element["facts"]
            )
    for action in card.get("actions", ()):
        assert action["type"] == "Action.OpenUrl" and action["url"].startswith("https://")


def test_teams_receives_an_adaptive_card(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook_receiver() as hook:
        hook.statuses["/workflows/run"] = 202
        monkeypatch.setenv("TEAMS_WEBHOOK_URL", f"{hook.url}/workflows/run")
        assert _run(store, [{"type": "teams"}]).exit_code == 0
        (request,) = hook.on("/workflows/run")
    check_teams(request.json())
    assert "Days left" in str(request.json())


# --------------------------------------------------------------------------- Discord


def check_discord(payload: dict[str, Any]) -> None:
    """Discord's documented limits: content 2000, 10 embeds, title 256, description 4096,
    25 fields (name 256, value 1024), footer 2048, and 6000 characters over the embeds."""
    from recast.watch._formats import embed_chars

    assert len(payload.get("content", "")) <= 2000
    assert payload["allowed_mentions"] == {"parse": []}
    assert 1 <= len(payload["embeds"]) <= 10
    assert sum(embed_chars(e) for e in payload["embeds"]) <= 6000
    for embed in payload["embeds"]:
        assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
        assert len(embed["fields"]) <= 25
        assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in embed["fields"])
        assert len(embed["footer"]["text"]) <= 2048
        assert isinstance(embed["color"], int)


def test_discord_receives_embeds(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook_receiver() as hook:
        monkeypatch.setenv("DISCORD_WEBHOOK_URL", f"{hook.url}/api/webhooks/1/tok")
        assert _run(store, [{"type": "discord"}]).exit_code == 0
        (request,) = hook.on("/api/webhooks/1/tok")
    assert request.path.endswith("?wait=true")
    check_discord(request.json())


def test_discord_keeps_to_6000_characters() -> None:
    from recast.watch import discord_payload

    catalog = make_catalog()
    offering = next(o for o in catalog.offerings if o.platform_id == "gpt-4-0613")
    entry = WatchEntry(offering, ("scan",), tuple(Location("a" * 900, i, "x") for i in range(50)))
    events = [Event("horizon", f"k{i}", "e" * 300) for i in range(40)]
    check_discord(discord_payload(build_alert(entry, events, AS_OF, catalog)))


# --------------------------------------------------------------------------- generic webhook


def _docs_verifier() -> Any:
    """The verification code docs/watch.md gives users, executed as written."""
    text = (ROOT / "docs" / "watch.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- verify:start -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/watch.md lost its HMAC verification example"
    namespace: dict[str, Any] = {}
    exec(match.group(1), namespace)
    return namespace["verify"]


def test_webhook_is_signed_and_verifies_as_documented(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    verify = _docs_verifier()
    with webhook_receiver() as hook:
        monkeypatch.setenv("RECAST_WEBHOOK_URL", f"{hook.url}/hooks/recast")
        monkeypatch.setenv("RECAST_WEBHOOK_SECRET", "s3cret-for-tests")
        assert _run(store, [{"type": "webhook"}]).exit_code == 0
        (request,) = hook.on("/hooks/recast")
    headers = request.headers
    assert verify(
        "s3cret-for-tests",
        headers["x-recast-timestamp"],
        headers["x-recast-signature"],
        request.body,
    )
    assert not verify(
        "another-secret", headers["x-recast-timestamp"], headers["x-recast-signature"], request.body
    )
    tampered = request.body.replace(b"gpt-4.1", b"gpt-4.2")
    assert not verify(
        "s3cret-for-tests", headers["x-recast-timestamp"], headers["x-recast-signature"], tampered
    )
    old = str(int(time.time()) - 3600)
    assert not verify("s3cret-for-tests", old, headers["x-recast-signature"], request.body)
    document = request.json()
    assert document["schema_version"] == 1 and document["event"] == "watch.alert"
    assert headers["x-recast-delivery"] == document["delivery"]
    alert = document["alert"]
    assert alert["platform_id"] == "gpt-4-0613" and alert["days_left"] == 27
    assert alert["shutdown"] == {
        "on": "2026-04-01",
        "precision": "exact",
        "importer": "overlay",
        "url": "https://platform.openai.com/docs/deprecations",
        "accessed_on": "2026-01-02",
    }
    assert alert["replacement"]["live"] == "gpt-4.1"
    assert "s3cret" not in request.body.decode()


# --------------------------------------------------------------------------- e-mail


def test_email_arrives_with_text_and_html(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server() as box:
        channel = {
            "type": "email",
            "host": box.host,
            "port": box.port,
            "security": "none",
            "from": "recast@example.com",
            "to": ["team@example.com", "ops@example.com"],
        }
        assert _run(store, [channel]).exit_code == 0
        ((envelope, message),) = box.messages
    assert envelope.rcpt_tos == ["team@example.com", "ops@example.com"]
    assert message["Subject"].startswith("[recast] gpt-4-0613 on openai")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Shutdown: 2026-04-01 (exact)" in text and "Live replacement: gpt-4.1" in text
    assert "<table" in html and "2026-04-01 (exact)" in html


# --------------------------------------------------------------------------- GitHub


def _entry(catalog: Any, platform_id: str) -> WatchEntry:
    offering = next(o for o in catalog.offerings if o.platform_id == platform_id)
    return WatchEntry(offering, ("config",))


def test_github_issue_created_updated_then_closed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_github() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        channel = {"type": "github", "repo": "acme/app", "api_url": gh.url, "dashboard": True}
        config = _config([channel], ["gpt-4-0613", "claude-3-sonnet-20240229@bedrock"])
        first = watch(config, store=store, as_of=date(2026, 1, 10), catalog=make_catalog())
        assert first.exit_code == 0, first.failures
        titles = sorted(i["title"] for i in gh.issues.values())
        assert titles == [
            "recast: anthropic.claude-3-sonnet-20240229-v1:0 on bedrock shuts down "
            "2026-07-30 (exact)",
            "recast: gpt-4-0613 on openai shuts down 2026-04-01 (exact)",
            "recast: model lifecycle dashboard",
        ]
        number = next(n for n, i in gh.issues.items() if "gpt-4-0613" in i["title"])
        # A later horizon updates the same issue and comments; nothing new is opened.
        later = watch(config, store=store, as_of=date(2026, 3, 5), catalog=make_catalog())
        assert later.exit_code == 0 and len(gh.issues) == 3
        assert "within 30" in gh.comments[number][-1]
        assert "as of 2026-03-05" in gh.issues[number]["body"]
        # A fresh store (a new CI runner) finds the issue by search instead of opening another.
        fresh = open_store(Path(str(store.url.database)).with_name("fresh.db"))
        try:
            watch(config, store=fresh, as_of=date(2026, 3, 26), catalog=make_catalog())
        finally:
            fresh.close()
        assert len(gh.issues) == 3
        assert ("GET", "/search/issues") in [(m, p.split("?")[0]) for m, p in gh.calls]
        # Off the watch set: closed, with a comment.
        gone = _config([channel], ["claude-3-sonnet-20240229@bedrock"])
        watch(gone, store=store, as_of=date(2026, 3, 6), catalog=make_catalog())
        assert gh.issues[number]["state"] == "closed"
        assert gh.issues[number]["state_reason"] == "completed"
        dashboard = next(i for i in gh.issues.values() if "dashboard" in i["title"])
        assert "gpt-4-0613" not in dashboard["body"] and "claude-3-sonnet" in dashboard["body"]


def test_traffic_share_and_top_locations_in_alert() -> None:
    from datetime import datetime, timezone

    catalog = make_catalog()
    offering = next(o for o in catalog.offerings if o.platform_id == "gpt-4-0613")
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    traffic = Traffic(
        requests=300,
        share=0.75,
        days=30,
        first_at=at,
        last_at=at,
        cost_usd=12.5,
        requested_as=("gpt-4-0613",),
    )
    locations = tuple(Location(f"src/m{i}.py", i + 1, "gpt-4-0613") for i in range(7))
    alert = build_alert(
        WatchEntry(offering, ("scan", "traffic"), locations, traffic),
        [Event("horizon", "k", "27 days left")],
        AS_OF,
        catalog,
    )
    lines = alert.usage_lines()
    assert lines[:5] == [f"src/m{i}.py:{i + 1} (code)" for i in range(5)]
    assert lines[5] == "… and 2 more"
    assert (
        lines[6] == "traffic: 300 requests in 30 days (75.0% of all, $12.50), last seen 2026-03-01"
    )
    assert alert.next_command == (
        "recast audition --from-store --model gpt-4-0613 --candidate openai:gpt-4.1"
    )
