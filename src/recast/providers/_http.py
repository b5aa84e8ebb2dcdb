"""Turn httpx failures and HTTP error statuses into recast's provider errors.

* network failure, timeout, 408, 5xx, malformed body -> ProviderUnavailable (retryable)
* 429                                                -> RateLimited(retry_after=...)
* 429 "insufficient_quota"                           -> ProviderRejected (retrying won't help)
* 401 / 403                                          -> ProviderRejected naming the key variable
                                                        (MissingKeyError when no key was sent)
* other 4xx                                          -> ProviderRejected(status, body)
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from recast.errors import MissingKeyError, ProviderRejected, ProviderUnavailable, RateLimited

#: Longest error body kept on an exception (characters).
BODY_LIMIT = 2000

OFFLINE_HINT = (
    "recast works offline with replay candidates or a local server (see docs/providers.md)"
)

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(value: str) -> float | None:
    """Parse a reset duration: ``"7"``, ``"1.5s"``, ``"20ms"``, ``"6m0s"``, ``"1h2m3s"``."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return max(number, 0.0) if math.isfinite(number) else None
    parts = _GO_DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * scale[unit] for number, unit in parts)


def _seconds_until(value: str, now: float) -> float | None:
    """Seconds from ``now`` until an HTTP date or an RFC 3339 timestamp."""
    moment: datetime | None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(moment.timestamp() - now, 0.0)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Return how many seconds a 429/503 asks us to wait, or ``None`` when it does not say.

    Reads ``retry-after-ms``, ``Retry-After`` (seconds or an HTTP date), then the
    ``x-ratelimit-reset-requests`` / ``x-ratelimit-reset-tokens`` durations (OpenAI,
    Groq, ...) and the ``anthropic-ratelimit-*-reset`` timestamps, taking the longest.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    now = time.time() if now is None else now
    millis = lowered.get("retry-after-ms")
    if millis:
        seconds = parse_duration(millis)
        if seconds is not None:
            return seconds / 1000.0
    retry_after = lowered.get("retry-after")
    if retry_after:
        seconds = parse_duration(retry_after)
        if seconds is None:
            seconds = _seconds_until(retry_after, now)
        if seconds is not None:
            return seconds
    waits: list[float] = []
    for name, value in lowered.items():
        if name.startswith("x-ratelimit-reset"):
            seconds = parse_duration(value)
            if seconds is None:
                seconds = _seconds_until(value, now)
            if seconds is not None:
                waits.append(seconds)
        elif name.startswith("anthropic-ratelimit-") and name.endswith("-reset"):
            seconds = _seconds_until(value, now)
            if seconds is not None:
                waits.append(seconds)
    return max(waits) if waits else None


def _short_body(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = text.strip()
    return text[:BODY_LIMIT] + ("…" if len(text) > BODY_LIMIT else "")


def _error_detail(body: str) -> tuple[str, str]:
    """Return (message, code) from an OpenAI- or Anthropic-style error body."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body.strip().splitlines()[0][:300] if body.strip() else "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        code = str(error.get("code") or error.get("type") or "")
        return message[:300], code
    if isinstance(error, str):
        return error[:300], ""
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:300], ""
    return body.strip()[:300], ""


def raise_for_status(
    response: httpx.Response,
    *,
    platform: str,
    model: str,
    key_env: str | None,
    secrets: tuple[str, ...] = (),
) -> None:
    """Raise the provider error matching an HTTP error status; return on 2xx."""
    status = response.status_code
    if status < 400:
        return
    body = _short_body(response.text, secrets)
    detail, code = _error_detail(body)
    where = f"{platform} ({model})" if model else platform
    said = f": {detail}" if detail else ""
    if status == 429:
        if code == "insufficient_quota":
            raise ProviderRejected(
                f"{where} refused the call: quota exhausted (HTTP 429){said}. "
                "Add credit to the account or use another key.",
                platform=platform,
                model=model,
                status=status,
                body=body,
            )
        retry_after = parse_retry_after(response.headers)
        wait = f" (retry after {retry_after:g}s)" if retry_after is not None else ""
        raise RateLimited(
            f"{where} rate-limited the call (HTTP 429){wait}{said}. "
            "Lower the candidate's concurrency or rpm/tpm limits.",
            platform=platform,
            model=model,
            retry_after=retry_after,
        )
    if status in (401, 403):
        if not secrets:
            where_key = f"Set {key_env}" if key_env else "Name its variable with api_key_env"
            raise MissingKeyError(
                f"{where} needs an API key and none was sent (HTTP {status}){said}. {where_key}.",
                platform=platform,
                model=model,
                status=status,
                body=body,
            )
        variable = f"the key in {key_env}" if key_env else "the API key"
        raise ProviderRejected(
            f"{where} rejected {variable} (HTTP {status}){said}. "
            + (
                f"Set {key_env} to a valid key for {platform}."
                if key_env
                else "Set a valid key (api_key_env) for this endpoint."
            ),
            platform=platform,
            model=model,
            status=status,
            body=body,
        )
    if status == 408 or status >= 500:
        error = ProviderUnavailable(
            f"{where} failed with HTTP {status}{said}. This is usually temporary; "
            "recast retries it.",
            platform=platform,
            model=model,
        )
        error.status = status  # type: ignore[attr-defined]
        raise error
    hint = ""
    if status == 404:
        hint = f" Check that model {model!r} exists on {platform} (`recast models search`)."
    raise ProviderRejected(
        f"{where} rejected the request (HTTP {status}){said}.{hint}",
        platform=platform,
        model=model,
        status=status,
        body=body,
    )


@contextmanager
def map_transport_errors(*, platform: str, model: str, url: str) -> Iterator[None]:
    """Turn httpx transport errors raised inside the block into :class:`ProviderUnavailable`."""
    host = httpx.URL(url).netloc.decode("ascii", "replace") or url
    try:
        yield
    except httpx.TimeoutException as exc:
        kind = type(exc).__name__
        raise ProviderUnavailable(
            f"Timed out calling {host} for {platform} ({model}): {kind}. "
            "Raise the timeout or lower the concurrency.",
            platform=platform,
            model=model,
        ) from exc
    except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
        reason = str(exc) or type(exc).__name__
        raise ProviderUnavailable(
            f"Could not reach {host}: {reason}; {OFFLINE_HINT}",
            platform=platform,
            model=model,
        ) from exc
    except httpx.RequestError as exc:
        reason = str(exc) or type(exc).__name__
        raise ProviderUnavailable(
            f"The connection to {host} broke during the call for {platform} ({model}): "
            f"{reason}. This is usually temporary; recast retries it.",
            platform=platform,
            model=model,
        ) from exc


def decode_json(
    response: httpx.Response, *, platform: str, model: str, secrets: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return the JSON object of a 2xx body; a malformed one is :class:`ProviderUnavailable`."""
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderUnavailable(
            f"{platform} ({model}) sent a malformed response (HTTP {response.status_code}, "
            f"not JSON): {_short_body(response.text, secrets)[:200]!r}",
            platform=platform,
            model=model,
        ) from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(
            f"{platform} ({model}) sent a malformed response: expected a JSON object, "
            f"got {type(data).__name__}",
            platform=platform,
            model=model,
        )
    return data


def malformed(platform: str, model: str, reason: str) -> ProviderUnavailable:
    """Build the error for a 2xx body that is JSON but not the expected shape."""
    return ProviderUnavailable(
        f"{platform} ({model}) sent a malformed response: {reason}",
        platform=platform,
        model=model,
    )
