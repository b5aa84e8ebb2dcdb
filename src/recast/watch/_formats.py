"""One emitter per channel format: Slack Block Kit, Teams Adaptive Card, Discord embeds,
the generic signed JSON webhook, and e-mail (text + HTML).

Each is a pure function of an :class:`Alert`, snapshot-tested, and keeps to its format's
documented limits (Slack: 50 blocks, 3,000 characters per section text, 150 per header;
Discord: 6,000 characters over an embed, 256 per title, 4,096 per description, 1,024 per
field value, 25 fields; Teams: a message of at most 28 KB).
"""

from __future__ import annotations

import hashlib
import hmac
import html
from datetime import datetime
from typing import Any

from recast.watch._alert import Alert

WEBHOOK_SCHEMA_VERSION = 1
SLACK_MAX_BLOCKS = 50
SLACK_SECTION_CHARS = 3000
SLACK_HEADER_CHARS = 150
SLACK_FIELD_CHARS = 2000
DISCORD_EMBED_CHARS = 6000
DISCORD_TITLE_CHARS = 256
DISCORD_DESCRIPTION_CHARS = 4096
DISCORD_FIELD_CHARS = 1024
DISCORD_CONTENT_CHARS = 2000
TEAMS_MAX_BYTES = 28 * 1024

#: Discord embed colours by state (red retired, orange deprecated, yellow otherwise).
_COLOURS = {"retired": 0xD73A49, "deprecated": 0xE36209}


def cut(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters, ending in ``…`` when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _source_url(alert: Alert) -> str | None:
    return alert.shutdown.url if alert.shutdown else None


# --------------------------------------------------------------------------- Slack


def slack_payload(alert: Alert) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (notification fallback) and Block Kit."""

    def section(text: str) -> dict[str, Any]:
        return {
            "type": "section",
            "text": {"type": "mrkdwn", "text": cut(text, SLACK_SECTION_CHARS)},
        }

    events = "\n".join(f"• {_slack_escape(e.title)}" for e in alert.events)
    fields = [
        {"type": "mrkdwn", "text": cut(f"*{label}*\n{_slack_escape(value)}", SLACK_FIELD_CHARS)}
        for label, value in alert.facts()
        if label not in ("Next", "Source")
    ][:10]
    usage = "\n".join(_slack_escape(line) for line in alert.usage_lines())
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": cut(alert.subject, SLACK_HEADER_CHARS)},
        },
        section(events),
        {"type": "section", "fields": fields},
        section(f"*Used in*\n{usage}"),
    ]
    if alert.next_command:
        blocks.append(section(f"*Next*\n`{_slack_escape(alert.next_command)}`"))
    source = alert.shutdown.source_text() if alert.shutdown else "no source dates the shutdown"
    url = _source_url(alert)
    context = (
        f"Source: <{url}|{_slack_escape(source)}>" if url else f"Source: {_slack_escape(source)}"
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": cut(context, 3000)}]})
    return {"text": cut(alert.subject, 3000), "blocks": blocks[:SLACK_MAX_BLOCKS]}


# --------------------------------------------------------------------------- Teams


def teams_payload(alert: Alert) -> dict[str, Any]:
    """A Teams Workflows webhook message: one Adaptive Card (1.4) in a ``message`` envelope."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": alert.subject,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": "\n".join(f"- {e.title}" for e in alert.events),
            "wrap": True,
        },
        {
            "type": "FactSet",
            "facts": [{"title": label, "value": value} for label, value in alert.facts()],
        },
        {"type": "TextBlock", "text": "**Used in**", "wrap": True},
        {
            "type": "TextBlock",
            "text": "\n".join(f"- {line}" for line in alert.usage_lines()),
            "wrap": True,
        },
    ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    url = _source_url(alert)
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Provider's notice", "url": url}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# --------------------------------------------------------------------------- Discord


def embed_chars(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward an embed's 6,000 (title, description, fields, footer)."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    return total


def discord_payload(alert: Alert) -> dict[str, Any]:
    """A Discord webhook message: one embed, mentions disabled."""
    fields = [
        {"name": label, "value": cut(value, DISCORD_FIELD_CHARS), "inline": label != "Next"}
        for label, value in alert.facts()
    ]
    fields.append(
        {"name": "Used in", "value": cut("\n".join(alert.usage_lines()), DISCORD_FIELD_CHARS)}
    )
    embed: dict[str, Any] = {
        "title": cut(alert.subject, DISCORD_TITLE_CHARS),
        "description": cut(
            "\n".join(f"• {e.title}" for e in alert.events), DISCORD_DESCRIPTION_CHARS
        ),
        "color": _COLOURS.get(alert.state, 0xDBAB09),
        "fields": fields[:25],
        "footer": {"text": f"recast watch · as of {alert.as_of.isoformat()}"},
    }
    url = _source_url(alert)
    if url:
        embed["url"] = url
    while embed_chars(embed) > DISCORD_EMBED_CHARS and len(embed["description"]) > 100:
        embed["description"] = cut(embed["description"], len(embed["description"]) // 2)
    return {
        "username": "recast",
        "content": cut(alert.subject, DISCORD_CONTENT_CHARS),
        "allowed_mentions": {"parse": []},
        "embeds": [embed],
    }


# --------------------------------------------------------------------------- generic webhook


def webhook_document(alert: Alert, sent_at: datetime) -> dict[str, Any]:
    """The generic webhook's JSON body (``schema_version`` 1; see docs/watch.md)."""
    return {
        "schema_version": WEBHOOK_SCHEMA_VERSION,
        "event": "watch.alert",
        "delivery": delivery_id(alert),
        "sent_at": sent_at.isoformat(),
        "alert": alert.to_dict(),
    }


def delivery_id(alert: Alert) -> str:
    """A stable id of this alert's events: a receiver can drop a delivery it already has."""
    joined = "\n".join(sorted(event.key for event in alert.events))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``{timestamp}.{body}`` under ``secret``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return "sha256=" + mac.hexdigest()


# --------------------------------------------------------------------------- e-mail


def email_subject(alert: Alert) -> str:
    """The e-mail subject line."""
    return cut(f"[recast] {alert.subject}", 200)


def email_html(alert: Alert) -> str:
    """The e-mail's HTML part: the same facts as the text part, as a table."""
    esc = html.escape
    events = "".join(f"<li>{esc(e.title)}</li>" for e in alert.events)
    rows = "".join(
        f"<tr><th align='left'>{esc(label)}</th><td>{esc(value)}</td></tr>"
        for label, value in alert.facts()
    )
    usage = "".join(f"<li><code>{esc(line)}</code></li>" for line in alert.usage_lines())
    url = _source_url(alert)
    link = f"<p><a href='{esc(url)}'>Provider's notice</a></p>" if url else ""
    return (
        "<!doctype html><html><body>"
        f"<h2>{esc(alert.subject)}</h2><ul>{events}</ul>"
        f"<table cellpadding='4'>{rows}</table>"
        f"<h3>Used in</h3><ul>{usage}</ul>{link}"
        "<p style='color:#666'>Sent by recast watch.</p></body></html>\n"
    )
