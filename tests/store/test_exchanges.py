"""Captured exchanges: round trip, filters, shadow pairs, retention, redaction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recast.store import CapturedExchange, ExchangePair, Store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def _ex(model: str = "gpt-4.1", at: datetime = T0, **fields: object) -> CapturedExchange:
    return CapturedExchange(
        requested_model=model,
        endpoint="/v1/chat/completions",
        request={"model": model, "messages": [{"role": "user", "content": "hello"}]},
        captured_at=at,
        **fields,  # type: ignore[arg-type]
    )


def test_round_trip_keeps_every_field(store: Store) -> None:
    original = CapturedExchange(
        requested_model="support-bot",
        served_model="gpt-4.1-2025-04-14",
        platform="openai",
        upstream="openai-main",
        route="canary",
        route_detail={"percent": 10, "from": "gpt-4o", "sticky": "user-7"},
        endpoint="/v1/chat/completions",
        request={
            "model": "support-bot",
            "stream": True,
            "messages": [{"role": "user", "content": "héllo ✓"}],
        },
        response="Hello! How can I help?",
        status_code=200,
        stream=True,
        input_tokens=12,
        output_tokens=7,
        cached_tokens=4,
        latency_ms=812.5,
        ttft_ms=95.25,
        cost_usd=0.000123,
        error=None,
        key_id="abcdefghijkl",
        tags={"user": "u-7", "n": 3, "nested": {"a": [1, 2]}},
        captured_at=datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2))),
    )
    assert store.capture_many([original]) == 1
    [back] = list(store.iter_exchanges())
    assert back == original  # captured_at compared as instants, stored in UTC
    assert back.captured_at.tzinfo == timezone.utc
    assert store.get_exchange(original.id) == original
    assert store.get_exchange("nope") is None


def test_retrying_a_batch_never_duplicates(store: Store) -> None:
    batch = [_ex(at=T0 + timedelta(seconds=i)) for i in range(5)]
    store.capture_many(batch)
    store.capture_many(batch)
    assert store.count_exchanges() == 5


def test_filters_and_order(store: Store) -> None:
    rows = [
        _ex("gpt-4.1", T0 + timedelta(minutes=3)),
        _ex("gpt-4o", T0 + timedelta(minutes=1), served_model="gpt-4.1"),
        _ex("gpt-4.1", T0 + timedelta(minutes=2)),
        _ex("gpt-4.1", T0 + timedelta(minutes=5)),
    ]
    store.capture_many(rows)
    minutes = [int((e.captured_at - T0).total_seconds() // 60) for e in store.iter_exchanges()]
    assert minutes == [1, 2, 3, 5]
    assert len(list(store.iter_exchanges(model="gpt-4.1"))) == 3
    assert [e.requested_model for e in store.iter_exchanges(served_model="gpt-4.1")] == ["gpt-4o"]
    window = store.iter_exchanges(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=5))
    assert [e.id for e in window] == [rows[2].id, rows[0].id]
    naive = store.iter_exchanges(since=(T0 + timedelta(minutes=3)).replace(tzinfo=None))
    assert [e.id for e in naive] == [rows[0].id, rows[3].id]
    assert [e.id for e in store.iter_exchanges(limit=2)] == [rows[1].id, rows[2].id]
    assert store.count_exchanges(model="gpt-4.1", since=T0 + timedelta(minutes=3)) == 2


def test_iteration_pages_through_equal_timestamps(store: Store) -> None:
    # 2,500 rows sharing one timestamp: keyset paging must use the id tie-breaker.
    rows = [_ex(at=T0) for _ in range(2500)]
    store.capture_many(rows)
    ids = [e.id for e in store.iter_exchanges()]
    assert len(ids) == 2500
    assert ids == sorted(r.id for r in rows)
    assert len(list(store.iter_exchanges(limit=1500))) == 1500


def test_shadows_are_hidden_by_default_and_paired(store: Store) -> None:
    primary = _ex("gpt-4o", T0)
    lonely = _ex("gpt-4o", T0 + timedelta(seconds=1))
    shadow_a = _ex(
        "gpt-4o",
        T0 + timedelta(seconds=3),
        served_model="gpt-4.1",
        route="shadow",
        shadow_of=primary.id,
    )
    shadow_b = _ex(
        "gpt-4o",
        T0 + timedelta(seconds=2),
        served_model="claude-sonnet-4-5",
        route="shadow",
        shadow_of=primary.id,
    )
    # A shadow can be written before its primary (the writer is asynchronous).
    store.capture_many([shadow_a])
    store.capture_many([primary, lonely, shadow_b])
    assert [e.id for e in store.iter_exchanges()] == [primary.id, lonely.id]
    assert len(list(store.iter_exchanges(include_shadows=True))) == 4
    pairs = list(store.exchange_pairs())
    assert pairs == [ExchangePair(primary, (shadow_b, shadow_a))]
    assert list(store.exchange_pairs(model="other")) == []


def test_retention_by_age_takes_shadows_along(store: Store) -> None:
    now = T0 + timedelta(days=30)
    old = _ex(at=T0)
    old_shadow = _ex(at=now - timedelta(days=1), route="shadow", shadow_of=old.id)
    recent = _ex(at=now - timedelta(days=2))
    store.capture_many([old, old_shadow, recent])
    assert store.apply_retention(max_age_days=7, now=now) == 2
    assert [e.id for e in store.iter_exchanges(include_shadows=True)] == [recent.id]
    assert store.apply_retention(max_age_days=7, now=now) == 0


def test_retention_by_rows_keeps_the_newest(store: Store) -> None:
    rows = [_ex(at=T0 + timedelta(seconds=i)) for i in range(10)]
    store.capture_many(rows)
    assert store.apply_retention(max_rows=4) == 6
    assert [e.id for e in store.iter_exchanges()] == [r.id for r in rows[6:]]
    assert store.apply_retention(max_rows=4) == 0
    assert store.apply_retention(max_rows=0) == 4
    assert store.count_exchanges() == 0


def test_retention_in_chunks_deletes_the_same_rows(store: Store) -> None:
    """Small transactions (so an idle-priority writer never holds the lock for long),
    same outcome: shadows go with their primary even when it falls in an earlier chunk."""
    now = T0 + timedelta(days=30)
    rows = [_ex(at=T0 + timedelta(minutes=i)) for i in range(25)]
    young_shadow = _ex(at=now, route="shadow", shadow_of=rows[3].id)
    old_shadow = _ex(at=T0 + timedelta(hours=3), route="shadow", shadow_of=rows[20].id)
    recent = [_ex(at=now - timedelta(days=1, minutes=i)) for i in range(7)]
    store.capture_many([*rows, young_shadow, old_shadow, *recent])
    assert store.apply_retention(max_age_days=7, now=now, chunk=4) == 27
    assert {e.id for e in store.iter_exchanges(include_shadows=True)} == {r.id for r in recent}
    assert store.apply_retention(max_rows=2, chunk=2) == 5
    newest = sorted(recent[:2], key=lambda r: r.captured_at)
    assert [e.id for e in store.iter_exchanges()] == [r.id for r in newest]


def test_secrets_never_reach_the_store(store: Store) -> None:
    keys = [
        "sk-proj-Abc123Def456Ghi789Jkl012Mno345",
        "sk-ant-api03-ZyXwVuTsRqPoNmLkJiHgFeDcBa-0123456789",
        "AKIAIOSFODNN7EXAMPLE",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "rcst-abcdefghijkl-AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH0123456789a",
    ]
    exchange = CapturedExchange(
        requested_model="gpt-4.1",
        endpoint="/v1/chat/completions",
        request={
            "model": "gpt-4.1",
            "api_key": "plain-value-in-a-sensitive-field",
            "messages": [{"role": "user", "content": f"my key is {keys[0]} and {keys[2]}"}],
            "metadata": {"headers": {"Authorization": f"Bearer {keys[4]}", "X-Api-Key": keys[1]}},
        },
        response={"choices": [{"message": {"content": f"Do not share {keys[3]}"}}]},
        error=f"upstream said: invalid key {keys[1]}",
        tags={"cookie": "session=secret-cookie-value", "note": f"Bearer {keys[4]}"},
    )
    store.capture_many([exchange])
    with store.engine.connect() as conn:
        dump = repr(conn.execute(sa.text("SELECT * FROM exchanges")).all())
    for secret in [*keys, "plain-value-in-a-sensitive-field", "secret-cookie-value"]:
        assert secret not in dump
    assert "[REDACTED]" in dump
    [back] = list(store.iter_exchanges())
    assert back.request["messages"][0]["content"] == "my key is [REDACTED] and [REDACTED]"  # type: ignore[index,call-overload]


def test_nul_characters_are_stored(store: Store) -> None:
    exchange = _ex(response={"text": "a\u0000b"}, error="bad\u0000byte")
    store.capture_many([exchange])
    [back] = list(store.iter_exchanges())
    # PostgreSQL cannot hold NUL in jsonb or text: it becomes U+FFFD there.
    assert back.response in ({"text": "a\u0000b"}, {"text": "a\ufffdb"})
    assert back.error in ("bad\u0000byte", "bad\ufffdbyte")


_JSON_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    # jsonb keeps numbers as numeric: floats past 2**53 may come back as integers.
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
    | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    request=st.dictionaries(_JSON_TEXT, _JSON, max_size=5),
    response=_JSON,
    tags=st.dictionaries(_JSON_TEXT, _JSON, max_size=3),
)
def test_any_json_round_trips(
    store: Store, request: dict[str, object], response: object, tags: dict[str, object]
) -> None:
    exchange = CapturedExchange(
        requested_model="m",
        endpoint="/v1/chat/completions",
        request=request,  # type: ignore[arg-type]
        response=response,  # type: ignore[arg-type]
        tags=tags,  # type: ignore[arg-type]
    )
    store.capture_many([exchange], redact=False)
    back = store.get_exchange(exchange.id)
    assert back is not None
    assert back.request == request
    assert back.response == response
    assert back.tags == tags


def test_ids_are_unique_and_sort_by_time() -> None:
    import time

    from recast.store import new_id

    first = [new_id() for _ in range(20_000)]
    assert len(set(first)) == len(first)
    crockford = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert all(len(i) == 26 and set(i) <= crockford for i in first)
    time.sleep(0.005)
    later = new_id()
    assert later > max(first)


@given(st.lists(st.floats(min_value=1e9, max_value=4e9), min_size=2, max_size=20))
def test_ids_for_given_times_sort_by_those_times(moments: list[float]) -> None:
    """The gateway's writer makes ids from the request's arrival time, not its own clock."""
    from recast.store import new_id

    ids = {moment: new_id(moment) for moment in moments}
    by_time = sorted(moments, key=lambda m: int(m * 1000))
    assert [int(m * 1000) for m in sorted(moments, key=ids.__getitem__)] == [
        int(m * 1000) for m in by_time
    ]


@given(st.floats(min_value=0.001, max_value=2.8e11))  # ULID time: 48 bits of ms
def test_ids_are_standard_ulids(moment: float) -> None:
    """Any ULID reader gets the time back: the 48-bit millisecond time is the first ten
    characters, so the first is at most ``7`` (the two padding bits lead)."""
    from recast.store import new_id

    text = new_id(moment)
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    number = 0
    for char in text:
        number = number * 32 + alphabet.index(char)
    assert number < 1 << 128
    assert number >> 80 == int(moment * 1000)
