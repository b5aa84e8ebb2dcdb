"""Channels: where alerts go. Each sends one :class:`Alert` or raises :class:`DeliveryError`.

Credentials are read from the environment at send time (never from the config file, never
written anywhere), so a channel whose variable is missing fails alone while the others
still deliver.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol, TextIO

from recast.watch._alert import Alert
from recast.watch._config import (
    DiscordChannel,
    EmailChannel,
    SlackChannel,
    StdoutChannel,
    TeamsChannel,
    WebhookChannel,
)
from recast.watch._deliver_http import DeliveryError, dumps, post, scrub, secret_from_env
from recast.watch._formats import (
    TEAMS_MAX_BYTES,
    discord_payload,
    email_html,
    email_subject,
    signature,
    slack_payload,
    teams_payload,
    webhook_document,
)


class Channel(Protocol):
    """What the delivery loop needs of a channel."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver one alert; raise :class:`DeliveryError` when the channel refuses it."""


class SlackSender:
    """Slack incoming webhook: answers ``200 ok``."""

    def __init__(self, name: str, config: SlackChannel) -> None:
        self.name, self.config = name, config

    def send(self, alert: Alert) -> None:
        url = secret_from_env(self.name, self.config.url_env, "Slack incoming-webhook URL")
        post(
            self.name,
            url,
            dumps(slack_payload(alert)),
            url_env=self.config.url_env,
            timeout=self.config.timeout,
        )


class TeamsSender:
    """Teams Workflows webhook: answers ``202 Accepted``."""

    def __init__(self, name: str, config: TeamsChannel) -> None:
        self.name, self.config = name, config

    def send(self, alert: Alert) -> None:
        url = secret_from_env(self.name, self.config.url_env, "Teams Workflows webhook URL")
        body = dumps(teams_payload(alert))
        if len(body) > TEAMS_MAX_BYTES:
            raise DeliveryError(self.name, f"the card is {len(body)} bytes, over Teams' 28 KB.")
        post(self.name, url, body, url_env=self.config.url_env, timeout=self.config.timeout)


class DiscordSender:
    """Discord webhook (``?wait=true``: Discord answers with the message it stored)."""

    def __init__(self, name: str, config: DiscordChannel) -> None:
        self.name, self.config = name, config

    def send(self, alert: Alert) -> None:
        url = secret_from_env(self.name, self.config.url_env, "Discord webhook URL")
        joiner = "&" if "?" in url else "?"
        post(
            self.name,
            f"{url}{joiner}wait=true",
            dumps(discord_payload(alert)),
            url_env=self.config.url_env,
            timeout=self.config.timeout,
        )


class WebhookSender:
    """Generic JSON webhook, signed: ``X-Recast-Signature: sha256=HMAC(secret, ts.body)``."""

    def __init__(
        self, name: str, config: WebhookChannel, clock: Callable[[], float] = time.time
    ) -> None:
        self.name, self.config, self.clock = name, config, clock

    def send(self, alert: Alert) -> None:
        url = secret_from_env(self.name, self.config.url_env, "webhook URL")
        secret = secret_from_env(self.name, self.config.secret_env, "signing secret")
        now = self.clock()
        document = webhook_document(alert, datetime.fromtimestamp(now, timezone.utc))
        body = dumps(document)
        timestamp = str(int(now))
        headers = {
            "x-recast-event": "watch.alert",
            "x-recast-delivery": str(document["delivery"]),
            "x-recast-timestamp": timestamp,
            "x-recast-signature": signature(secret, timestamp, body),
        }
        post(
            self.name,
            url,
            body,
            url_env=self.config.url_env,
            headers=headers,
            timeout=self.config.timeout,
        )


class EmailSender:
    """E-mail over SMTP (STARTTLS, SSL or plain), a text and an HTML part."""

    def __init__(self, name: str, config: EmailChannel) -> None:
        self.name, self.config = name, config

    def message(self, alert: Alert) -> EmailMessage:
        """The e-mail for ``alert`` (also what ``--dry-run`` would send)."""
        message = EmailMessage()
        message["Subject"] = email_subject(alert)
        message["From"] = self.config.sender
        message["To"] = ", ".join(self.config.to)
        message["Message-ID"] = make_msgid(domain="recast.watch")
        message.set_content(alert.text())
        message.add_alternative(email_html(alert), subtype="html")
        return message

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context(cafile=config.ca_file)
        if config.security == "ssl":
            return smtplib.SMTP_SSL(
                config.host, config.effective_port, timeout=config.timeout, context=context
            )
        server = smtplib.SMTP(config.host, config.effective_port, timeout=config.timeout)
        if config.security == "starttls":
            server.starttls(context=context)
        return server

    def send(self, alert: Alert) -> None:
        config = self.config
        password = ""
        if config.username:
            variable = config.password_env or "SMTP_PASSWORD"
            password = secret_from_env(self.name, variable, "SMTP password")
        where = f"{config.host}:{config.effective_port}"
        try:
            with self._connect() as server:
                if config.username:
                    server.login(config.username, password)
                server.send_message(self.message(alert))
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                self.name,
                f"{where} refused the login of {config.username!r} ({exc.smtp_code}); check "
                f"${config.password_env or 'SMTP_PASSWORD'}.",
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(
                self.name, f"{where} does not offer STARTTLS; set security = 'ssl' or 'none'."
            ) from exc
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            reason = scrub(str(exc) or type(exc).__name__, password)
            raise DeliveryError(
                self.name,
                f"cannot send through SMTP server {where} ({reason}); check host, port and "
                "security. Retried next run.",
            ) from exc


class StdoutSender:
    """The alerts as plain text on stdout (with ``--format json``, the run's JSON instead)."""

    def __init__(
        self, name: str, config: StdoutChannel, stream: TextIO | None = None, quiet: bool = False
    ) -> None:
        self.name, self.config = name, config
        self.stream = stream
        self.quiet = quiet

    def send(self, alert: Alert) -> None:
        if self.quiet:
            return  # --format json: the run's document carries every alert
        stream = self.stream or sys.stdout
        stream.write(alert.text() + "\n")


def build_channel(name: str, config: Any, **options: Any) -> Channel:
    """The sender for one configured channel."""
    kinds: dict[str, Any] = {
        "slack": SlackSender,
        "teams": TeamsSender,
        "discord": DiscordSender,
        "webhook": WebhookSender,
        "email": EmailSender,
        "stdout": StdoutSender,
    }
    if config.type == "github":
        from recast.watch._github import GitHubSender

        return GitHubSender(name, config, store=options["store"], run=options["run"])
    if config.type == "stdout":
        return StdoutSender(name, config, quiet=bool(options.get("quiet")))
    sender: Channel = kinds[config.type](name, config)
    return sender
