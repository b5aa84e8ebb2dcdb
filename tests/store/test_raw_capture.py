"""Bodies captured as text: streams kept as relayed, JSON checked, secrets never kept."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from recast.store import REDACTED, CapturedExchange, Store, open_store
from recast.store._redact import RawJson, RawStream

KEY = "sk-proj-h5Jx_Kq9-ZtR2wYb8LmN0pQs3VuX6aCdEfGhIjKl"


def sse(*contents: str) -> str:
    """An OpenAI chat stream whose deltas carry ``contents``, with a usage chunk."""
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    chunks = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    chunks += [{**head, "choices": [{"index": 0, "delta": {"content": c}}]} for c in contents]
    chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append({**head, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}})
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def captured(response: RawJson | RawStream, stream: bool) -> CapturedExchange:
    return CapturedExchange(
        requested_model="m",
        endpoint="/v1/chat/completions",
        request=RawJson('{"model": "m", "messages": []}'),
        response=response,
        stream=stream,
    )


def stored_columns(store: Store, exchange_id: str) -> tuple[object, object]:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT response_json, response_stream FROM exchanges WHERE id = :id"),
            {"id": exchange_id},
        ).one()
    return row[0], row[1]


def test_stream_is_stored_as_relayed_and_assembled_when_read(store: Store) -> None:
    text = sse("Paris", " is", " lovely.")
    exchange = captured(RawStream(text), stream=True)
    store.capture_many([exchange])
    assert stored_columns(store, exchange.id) == (None, text)
    back = store.get_exchange(exchange.id)
    assert back is not None
    assert back.response["choices"][0]["message"]["content"] == "Paris is lovely."  # type: ignore[index,call-overload]
    assert back.response["usage"]["completion_tokens"] == 2  # type: ignore[index,call-overload]


def test_stream_with_a_secret_is_redacted_before_it_is_stored(
    store_url: str, tmp_path: Path
) -> None:
    with open_store(store_url) as store:
        exchange = captured(RawStream(sse("my key: ", KEY)), stream=True)
        store.capture_many([exchange])
        response_json, response_stream = stored_columns(store, exchange.id)
        assert response_stream is None and KEY not in str(response_json)
        back = store.get_exchange(exchange.id)
        assert back is not None
        assert REDACTED in back.response["choices"][0]["message"]["content"]  # type: ignore[index,call-overload]
    if store_url.startswith("sqlite"):
        for path in Path(store_url.removeprefix("sqlite:///")).parent.iterdir():
            assert KEY.encode() not in path.read_bytes(), path


def test_body_that_is_not_json_is_kept_as_a_string(store: Store) -> None:
    page = "<html><body>502 Bad Gateway</body></html>"
    exchanges = [captured(RawJson(page), stream=False), captured(RawJson('{"ok": 1}'), False)]
    store.capture_many(exchanges)
    first, second = (store.get_exchange(e.id) for e in exchanges)
    assert first is not None and first.response == page
    assert second is not None and second.response == {"ok": 1}
