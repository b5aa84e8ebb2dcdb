"""Row types of the store: plain frozen dataclasses, one per table."""

from __future__ import annotations

import fnmatch
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Union

#: Any value ``json.dumps`` accepts (read back as dicts, lists and scalars).
JsonValue = Union[Mapping[str, "JsonValue"], Sequence["JsonValue"], str, int, float, bool, None]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # 10 bits -> two characters
_SHIFTS = tuple(range(120, -1, -10))


def new_id(at: float | None = None) -> str:
    """Return a new id: a ULID (26 Crockford base32 characters), sortable by creation time.

    48 bits of Unix milliseconds (now, or ``at`` in Unix seconds) then 80 random bits
    (``random`` reseeds in forked children; ids need to be unique, not secret). Written
    out ten bits at a time from a table: the capture path makes thousands per second.
    """
    millis = int(at * 1000) if at else time.time_ns() // 1_000_000
    number = millis << 80 | random.getrandbits(80)
    pairs = _PAIRS
    return "".join([pairs[(number >> shift) & 1023] for shift in _SHIFTS])


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


#: How a request was routed (``CapturedExchange.route``).
ROUTES = ("direct", "alias", "redirect", "canary", "shadow", "fallback", "block")


@dataclass(slots=True)
class CapturedExchange:
    """One request the gateway relayed and what came back.

    Not frozen, unlike the other rows: the gateway builds one per request and a
    frozen dataclass's ``__init__`` costs several times more. Treat it as read-only
    once offered to a :class:`CaptureWriter`.

    ``request`` and ``response`` are the JSON bodies (a stream's ``response`` is the
    assembled result, or its text). Times are in milliseconds, money in US dollars.
    ``shadow_of`` is the ``id`` of the primary exchange when this is a shadow result.
    ``key_id`` is the gateway key's id, never the key itself.
    """

    requested_model: str
    endpoint: str
    request: JsonValue
    response: JsonValue = None
    served_model: str | None = None
    platform: str | None = None
    upstream: str | None = None
    route: str = "direct"
    route_detail: JsonValue = None
    status_code: int | None = None
    stream: bool = False
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    cost_usd: float | None = None
    error: str | None = None
    key_id: str | None = None
    shadow_of: str | None = None
    tags: Mapping[str, JsonValue] = field(default_factory=dict)
    id: str = field(default_factory=new_id)
    captured_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class ExchangePair:
    """A primary exchange with the shadow results recorded for the same request."""

    primary: CapturedExchange
    shadows: tuple[CapturedExchange, ...]


@dataclass(frozen=True, slots=True)
class GatewayKey:
    """A gateway key as stored: never the key itself, only its id and display prefix.

    ``allowed_models`` is ``None`` for "every model", else a tuple of model ids or
    shell-style patterns (``gpt-4.1*``). ``rpm_limit`` is requests per minute.
    """

    id: str
    name: str
    prefix: str
    allowed_models: tuple[str, ...] | None
    rpm_limit: int | None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        """Whether the key was revoked."""
        return self.revoked_at is not None

    def allows(self, model: str) -> bool:
        """Whether this key may call ``model`` (exact id or shell-style pattern)."""
        if self.allowed_models is None:
            return True
        return any(
            model == allowed or fnmatch.fnmatchcase(model, allowed)
            for allowed in self.allowed_models
        )


#: Values of ``AuditionRun.status``.
RUN_STATUSES = ("running", "interrupted", "complete", "failed")


@dataclass(frozen=True, slots=True)
class AuditionRun:
    """One audition: its configuration and where it stands.

    ``fingerprint`` identifies what was auditioned (cases, candidates, scorers) so a
    rerun of the same command finds and resumes it.
    """

    id: str
    name: str
    fingerprint: str
    config: JsonValue
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AuditionResult:
    """One candidate's response to one case, with what it cost and how it scored."""

    run_id: str
    case_id: str
    candidate: str
    response: JsonValue = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    latency_ms: float | None = None
    error: str | None = None
    scores: Mapping[str, JsonValue] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)


#: States of a ``watch_alerts`` row: ``claimed`` while a watcher sends it.
ALERT_STATUSES = ("claimed", "sent", "failed")


@dataclass(frozen=True)
class WatchAlert:
    """One alert on one channel as the store keeps it (see :meth:`Store.claim_alert`)."""

    alert_key: str
    channel: str
    status: str
    event: JsonValue
    attempts: int
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class AuditionReportRecord:
    """A scored audition kept as evidence: ``report`` is the ``recast audition --json`` document."""

    id: str
    baseline_model: str
    created_at: datetime
    report: JsonValue
    run_id: str | None = None


@dataclass(frozen=True)
class ModelUsage:
    """Captured traffic of one (requested model, served model, platform) over a window.

    Shadow results are not counted. Tokens and cost are sums (``None``: no exchange
    reported them); ``max_input_tokens`` is the largest single prompt seen.
    """

    requested_model: str
    served_model: str | None
    platform: str | None
    requests: int
    errors: int
    input_tokens: int | None
    output_tokens: int | None
    max_input_tokens: int | None
    cost_usd: float | None
    first_at: datetime
    last_at: datetime
