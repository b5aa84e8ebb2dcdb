"""Pre-serialised bodies (``RawJson``): stored as they came, redacted exactly like values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recast.store import REDACTED, CapturedExchange, Redactor, open_store
from recast.store._redact import DEFAULT_REDACTOR, RawJson

KEY = "sk-proj-h5Jx_Kq9-ZtR2wYb8LmN0pQs3VuX6aCdEfGhIjKl"


def raw(text: str) -> RawJson:
    return RawJson(text, json.loads(text))


def test_clean_body_is_stored_as_its_own_text() -> None:
    text = '{"model": "gpt-4.1",  "messages": [{"role": "user", "content": "hi"}]}'
    assert DEFAULT_REDACTOR.json_text(raw(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        '{"messages": [{"content": "my key is ' + KEY + '"}]}',
        '{"api_key": "not-a-pattern-but-a-field"}',
        '{"nested": {"Authorization": "anything"}}',
        # a \\u escape hides the marker "sk-" from a text search: still redacted
        '{"content": "sk\\u002d' + KEY[3:] + '"}',
        '{"k\\u0065y": 1, "x-api\\u002dkey": "abc"}',
    ],
)
def test_anything_sensitive_takes_the_redacting_path(text: str) -> None:
    out = DEFAULT_REDACTOR.json_text(raw(text))
    assert out == DEFAULT_REDACTOR.json_text(json.loads(text))
    assert KEY not in json.dumps(json.loads(out), ensure_ascii=False)
    assert REDACTED in out


def test_configured_patterns_always_apply() -> None:
    redactor = Redactor(rules=["email"])
    out = redactor.json_text(raw('{"content": "write to ann@example.com"}'))
    assert "ann@example.com" not in out and REDACTED in out


def test_json_of_raw_is_the_redacted_value() -> None:
    assert DEFAULT_REDACTOR.json(raw('{"password": "x", "a": [1]}')) == {
        "password": REDACTED,
        "a": [1],
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["a", "api_key", "Authorization", "content", "x-api-key", "b"])
            | st.text(),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


def redactor_for(engine: str, **options: Any) -> Redactor:
    """A redactor whose text check runs on RE2 (the default) or on plain substring tests."""
    redactor = Redactor(**options)
    if engine == "python":
        redactor._prefilter = None
    return redactor


ENGINES = pytest.mark.parametrize("engine", ["re2", "python"])


@ENGINES
@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    secret=st.sampled_from(["", KEY, "Bearer 0123456789abcdefghijABCDEFGHIJ"]),
    before=st.sampled_from(["note ", "\n", "\t", '"', "/", "\\"]),
    ascii_only=st.booleans(),
)
def test_raw_and_value_store_the_same_thing(
    engine: str, value: dict[str, Any], secret: str, before: str, ascii_only: bool
) -> None:
    redactor = redactor_for(engine)
    if secret:
        value = {**value, "content": f"{before}{secret}"}
    text = json.dumps(value, ensure_ascii=ascii_only)
    from_raw = json.loads(redactor.json_text(RawJson(text)))
    from_value = json.loads(redactor.json_text(value))
    assert from_raw == from_value
    if secret:
        assert secret not in json.dumps(from_raw, ensure_ascii=False)


@ENGINES
@settings(max_examples=300, deadline=None)
@given(value=json_values, ascii_only=st.booleans())
def test_text_called_clean_needs_no_redaction(engine: str, value: Any, ascii_only: bool) -> None:
    """The text check may cry wolf, never the reverse: clean text redacts to itself."""
    redactor = redactor_for(engine)
    text = json.dumps(value, ensure_ascii=ascii_only)
    if redactor.text_is_clean(text):
        assert redactor.json(value) == value


@ENGINES
@pytest.mark.parametrize(
    "text",
    [
        '{"API-KEY": 1}',
        '{"Api_Key" : "x"}',
        '{"x-goog-api-key":"x"}',
        '{"PassWord":"x"}',
        '{"content": "line\\n' + KEY + '"}',
        '{"content": "Bearer abcdefgh\\/ijklmnopqrstuvwxyz"}',
        '{"content": "\\u0073k-proj-h5Jx_Kq9-ZtR2wYb8LmN0pQs3V"}',
        'data: {"choices":[{"delta":{"content":"' + KEY + '"}}]}\n\n',
    ],
)
def test_text_check_flags_what_redaction_would_touch(engine: str, text: str) -> None:
    assert not redactor_for(engine).text_is_clean(text)


@ENGINES
def test_text_check_passes_ordinary_traffic(engine: str) -> None:
    redactor = redactor_for(engine)
    body = {
        "model": "gpt-4o-mini-2024-07-18",
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 256,
        "user": "bench-user-42",
    }
    assert redactor.text_is_clean(json.dumps(body))
    assert redactor.text_is_clean(json.dumps(body, indent=2))
    assert not redactor_for(engine, rules=["email"]).text_is_clean(json.dumps(body))


def test_capture_many_stores_raw_bodies(store_url: str) -> None:
    store = open_store(store_url)
    try:
        clean = raw(
            '{"model": "gpt-4.1", "messages": [{"role": "user", "content": "\\u00e9t\\u00e9"}]}'
        )
        dirty = raw('{"model": "gpt-4.1", "messages": [{"content": "' + KEY + '"}]}')
        response = raw('{"id": "x", "usage": {"prompt_tokens": 3}}')
        rows = [
            CapturedExchange(
                requested_model="gpt-4.1",
                endpoint="/v1/chat/completions",
                request=r,
                response=response,
            )
            for r in (clean, dirty)
        ]
        assert store.capture_many(rows) == 2
        first, second = (store.get_exchange(row.id) for row in rows)
        assert first is not None and second is not None
        assert first.request == clean.value and first.response == response.value
        assert KEY not in json.dumps(second.request)
        assert second.request["messages"][0]["content"] == REDACTED  # type: ignore[index,call-overload]
    finally:
        store.close()
