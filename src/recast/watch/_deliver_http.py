"""HTTP delivery shared by the webhook channels: one POST, errors as one line, no secrets.

A webhook URL is a credential (Slack's and Discord's carry their token in the path), so
no message here ever contains it: errors name the channel and the environment variable.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

import httpx

from recast.errors import RecastError

#: Longest ``Retry-After`` (seconds) honoured once before a 429 counts as a failure.
MAX_RETRY_AFTER = 10.0


class DeliveryError(RecastError):
    """A channel did not accept an alert; the message names the channel and the fix."""

    def __init__(self, channel: str, message: str) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel


def secret_from_env(channel: str, variable: str, what: str) -> str:
    """The value of ``$variable``, or a :class:`DeliveryError` saying to set it."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise DeliveryError(channel, f"${variable} is not set; export the {what} in it.")
    return value


def scrub(text: str, *secrets: str) -> str:
    """``text`` with every secret replaced by ``***``, cut to one line of 300 characters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."


def dumps(document: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the bytes sent are the bytes signed."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post(
    channel: str,
    url: str,
    body: bytes,
    *,
    url_env: str,
    headers: Mapping[str, str] | None = None,
    timeout: float = 15.0,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """POST ``body`` to ``url``: a 2xx answer is delivery, anything else a DeliveryError."""
    sent_headers = {"content-type": "application/json", "user-agent": "recast-watch"}
    sent_headers.update(headers or {})
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False)
    try:
        for attempt in range(2):
            try:
                response = http.post(url, content=body, headers=sent_headers)
            except httpx.InvalidURL as exc:
                raise DeliveryError(channel, f"${url_env} is not a valid URL; fix it.") from exc
            except httpx.UnsupportedProtocol as exc:
                raise DeliveryError(channel, f"${url_env} must be an http(s) URL; fix it.") from exc
            except httpx.TimeoutException as exc:
                raise DeliveryError(
                    channel, f"the webhook did not answer within {timeout:g} s; retried next run."
                ) from exc
            except httpx.TransportError as exc:
                reason = scrub(str(exc) or type(exc).__name__, url)
                raise DeliveryError(
                    channel,
                    f"cannot reach the webhook in ${url_env} ({reason}); check the URL and the "
                    "network. Retried next run.",
                ) from exc
            if response.status_code == 429 and attempt == 0:
                wait = _retry_after(response)
                if wait is not None and wait <= MAX_RETRY_AFTER:
                    time.sleep(wait)
                    continue
            break
    finally:
        if own:
            http.close()
    if not 200 <= response.status_code < 300:
        detail = scrub(response.text[:200], url)
        hint = {
            401: "the webhook refused the credentials",
            403: "the webhook refused the credentials",
            404: "the webhook does not exist (deleted or revoked?)",
            410: "the webhook was removed",
        }.get(response.status_code, "the webhook refused the alert")
        raise DeliveryError(
            channel,
            f"HTTP {response.status_code} ({detail or 'no body'}): {hint}; check ${url_env}. "
            "Retried next run.",
        )
    return response


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
