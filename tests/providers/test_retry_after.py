"""Parsing how long a 429 asks us to wait, in every form providers send."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from recast.providers import parse_retry_after
from recast.providers._http import parse_duration

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc).timestamp()


def test_seconds_http_date_and_milliseconds() -> None:
    assert parse_retry_after({"Retry-After": "7"}, now=NOW) == 7
    later = datetime.fromtimestamp(NOW, timezone.utc) + timedelta(seconds=30)
    assert parse_retry_after({"retry-after": format_datetime(later, usegmt=True)}, now=NOW) == 30
    earlier = datetime.fromtimestamp(NOW, timezone.utc) - timedelta(seconds=30)
    assert parse_retry_after({"retry-after": format_datetime(earlier, usegmt=True)}, now=NOW) == 0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}, now=NOW) == 0.25


def test_reset_headers_take_the_longest() -> None:
    headers = {"x-ratelimit-reset-requests": "120ms", "x-ratelimit-reset-tokens": "1m30s"}
    assert parse_retry_after(headers, now=NOW) == 90
    reset = datetime.fromtimestamp(NOW + 12, timezone.utc).isoformat().replace("+00:00", "Z")
    assert parse_retry_after({"anthropic-ratelimit-requests-reset": reset}, now=NOW) == 12


def test_nothing_usable_is_none() -> None:
    assert parse_retry_after({}, now=NOW) is None
    assert parse_retry_after({"retry-after": "soon"}, now=NOW) is None
    assert parse_retry_after({"retry-after": "nan"}, now=NOW) is None
    assert parse_retry_after({"retry-after": "-inf"}, now=NOW) is None
    assert parse_retry_after({"x-ratelimit-reset-requests": "later"}, now=NOW) is None


@given(st.integers(0, 10**6))
def test_integer_seconds_round_trip(seconds: int) -> None:
    assert parse_retry_after({"Retry-After": str(seconds)}, now=NOW) == seconds


@given(st.integers(0, 48), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_go_durations(hours: int, minutes: int, seconds: int, millis: int) -> None:
    text = (
        f"{hours}h{minutes}m{seconds}s" if not millis else f"{hours}h{minutes}m{seconds}s{millis}ms"
    )
    expected = hours * 3600 + minutes * 60 + seconds + millis / 1000
    parsed = parse_duration(text)
    assert parsed is not None and abs(parsed - expected) < 1e-6


@given(st.text(max_size=20))
def test_any_header_value_is_safe(value: str) -> None:
    result = parse_retry_after({"retry-after": value, "x-ratelimit-reset-tokens": value}, now=NOW)
    assert result is None or result >= 0
