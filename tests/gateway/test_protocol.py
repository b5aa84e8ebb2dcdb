"""The relay itself: official SDKs as clients, bytes through untouched, errors in OpenAI format."""

from __future__ import annotations

import json
import re
from typing import Any

import anthropic
import httpx
import openai
import pytest

from .conftest import base_config
from .upstream import CREATED, FakeUpstream, served_name


def _client(gw: Any, **kw: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.v1, api_key="sk-client-not-used", max_retries=0, **kw)


def test_chat_completion_with_openai_sdk(upstream: FakeUpstream, gateway: Any) -> None:
    with gateway(base_config(upstream)) as gw:
        reply = _client(gw).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}]
        )
    assert reply.choices[0].message.content == "echo: hello there"
    assert reply.model == served_name("gpt-4o-mini")
    assert reply.created == CREATED
    assert reply.usage is not None and reply.usage.total_tokens == 18


def test_streaming_with_openai_sdk_keeps_usage_chunk(upstream: FakeUpstream, gateway: Any) -> None:
    with gateway(base_config(upstream)) as gw:
        stream = _client(gw).chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "one two three"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == "echo: one two three"
    assert all(c.model == served_name("gpt-4o-mini") and c.created == CREATED for c in chunks)
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None and last.usage.completion_tokens == 7


def test_anthropic_sdk_messages_and_stream(upstream: FakeUpstream, gateway: Any) -> None:
    config = base_config(upstream)
    config["upstreams"][0]["kind"] = "anthropic"
    with gateway(config) as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="sk-ant-client", max_retries=0)
        message = client.messages.create(
            model="claude-3-5-haiku-20241022",
            max_tokens=50,
            messages=[{"role": "user", "content": "bonjour"}],
        )
        assert message.content[0].text == "echo: bonjour"  # type: ignore[union-attr]
        assert message.usage.output_tokens == 6
        with client.messages.stream(
            model="claude-3-5-haiku-20241022",
            max_tokens=50,
            messages=[{"role": "user", "content": "streamed words"}],
        ) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
    assert text.strip() == "echo: streamed words"
    assert final.stop_reason == "end_turn"
    sent = upstream.requests[-1]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-upstream-secret-key-000000000000"
    assert "anthropic-version" in sent.headers


def test_other_openai_endpoints(upstream: FakeUpstream, gateway: Any) -> None:
    with gateway(base_config(upstream)) as gw:
        client = _client(gw)
        emb = client.embeddings.create(model="text-embedding-3-small", input="hi")
        assert emb.data[0].embedding == [0.1, 0.2, 0.3]
        comp = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="say")
        assert comp.choices[0].text == "echo: say"
        resp = client.responses.create(model="gpt-4.1", input="ping")
        assert resp.output_text == "echo: ping"
        with client.responses.stream(model="gpt-4.1", input="pong") as rstream:
            final = rstream.get_final_response()
        assert final.output_text == "echo: pong"


def test_body_bytes_forwarded_unchanged_and_unknown_fields_kept(
    upstream: FakeUpstream, gateway: Any
) -> None:
    body = (
        b'{"model": "gpt-4o-mini",  "messages":[{"role":"user","content":"caf\\u00e9"}],'
        b' "x_vendor_field": {"a": [1, 2.50]}, "temperature": 0.20}'
    )
    with gateway(base_config(upstream)) as gw:
        reply = httpx.post(
            gw.v1 + "/chat/completions",
            content=body,
            headers={
                "content-type": "application/json",
                "authorization": "Bearer sk-client-should-not-be-forwarded",
            },
        )
    assert reply.status_code == 200
    assert upstream.requests[-1].body == body
    forwarded = upstream.requests[-1].headers
    assert forwarded["authorization"] == "Bearer sk-upstream-secret-key-000000000000"
    data = reply.json()
    assert data["x_unknown"] == {"kept": True}
    assert data["created"] == CREATED
    # nothing about the upstream leaks in headers
    leaked = {k.lower() for k in reply.headers} & {"server", "x-upstream-secret-host", "via"}
    assert not leaked
    assert str(upstream.port) not in json.dumps(dict(reply.headers))


def test_routed_body_changes_only_the_model(upstream: FakeUpstream, gateway: Any) -> None:
    body = b'{"messages":[{"role":"user","content":"x"}],"model":"support-bot","n":1, "z":"model"}'
    config = base_config(upstream, routes={"support-bot": {"alias": "gpt-4.1"}})
    with gateway(config) as gw:
        reply = httpx.post(
            gw.v1 + "/chat/completions", content=body, headers={"content-type": "application/json"}
        )
    assert reply.status_code == 200
    assert upstream.requests[-1].body == body.replace(b'"support-bot"', b'"gpt-4.1"')
    assert reply.headers["x-recast-served-model"] == "gpt-4.1"
    assert reply.json()["model"] == served_name("gpt-4.1")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_type"),
        (b'{"model": 42, "messages": []}', 400, "invalid_type"),
        (b'{"model": "gpt-4o", "stream": "yes"}', 400, "invalid_type"),
        (b'{"messages": []}', 400, "invalid_type"),
    ],
)
def test_bad_input_gives_openai_errors(
    upstream: FakeUpstream, gateway: Any, body: bytes, status: int, code: str
) -> None:
    with gateway(base_config(upstream)) as gw:
        reply = httpx.post(gw.v1 + "/chat/completions", content=body)
    assert reply.status_code == status
    error = reply.json()["error"]
    assert error["code"] == code and error["message"] and error["type"]
    assert upstream.requests == []


def test_oversized_body_is_413(upstream: FakeUpstream, gateway: Any) -> None:
    config = base_config(upstream, limits={"max_request_bytes": 2048})
    big = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * 5000}]})
    with gateway(config) as gw:
        reply = httpx.post(gw.v1 + "/chat/completions", content=big)
        sdk_error = None
        try:
            _client(gw).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "y" * 5000}]
            )
        except openai.APIStatusError as exc:
            sdk_error = exc
    assert reply.status_code == 413
    assert reply.json()["error"]["code"] == "request_too_large"
    assert sdk_error is not None and sdk_error.status_code == 413


def test_unknown_model_is_404_when_no_upstream_serves_it(
    upstream: FakeUpstream, gateway: Any
) -> None:
    config = base_config(upstream)
    config["upstreams"][0]["models"] = ["gpt-*"]
    with gateway(config) as gw, pytest.raises(openai.NotFoundError) as err:
        _client(gw).chat.completions.create(model="llama-9", messages=[])
    assert "llama-9" in str(err.value)
    assert upstream.requests == []


def test_upstream_failure_names_upstream_not_url(upstream: FakeUpstream, gateway: Any) -> None:
    with gateway(base_config(upstream)) as gw:
        bad = httpx.post(gw.v1 + "/chat/completions", json={"model": "gpt-fail500", "messages": []})
        hang = httpx.post(
            gw.v1 + "/chat/completions", json={"model": "gpt-hang", "messages": []}, timeout=10
        )
        drop = httpx.post(gw.v1 + "/chat/completions", json={"model": "gpt-drop", "messages": []})
    assert bad.status_code == 502 and "'fake'" in bad.json()["error"]["message"]
    assert hang.status_code == 504 and "'fake'" in hang.json()["error"]["message"]
    assert drop.status_code == 502
    for reply in (bad, hang, drop):
        assert "127.0.0.1" not in reply.text and str(upstream.port) not in reply.text


def test_unreachable_upstream_is_502_naming_it(gateway: Any) -> None:
    from .conftest import free_port

    config = {
        "upstreams": [{"name": "gone", "base_url": f"http://127.0.0.1:{free_port()}/v1"}],
        "access": {"require_key": False},
        "catalog_lifecycles": False,
    }
    with gateway(config) as gw:
        reply = httpx.post(gw.v1 + "/chat/completions", json={"model": "m", "messages": []})
    assert reply.status_code == 502
    assert "'gone'" in reply.json()["error"]["message"]
    assert "127.0.0.1" not in reply.text


def test_models_endpoint_lists_lifecycle(upstream: FakeUpstream, gateway: Any) -> None:
    config = base_config(
        upstream,
        routes={
            "gpt-4.5-preview": {
                "policy": "warn",
                "replacement": "gpt-4.1",
                "lifecycle": {"deprecated_on": "2025-04-14", "shutdown_on": "2025-07-14"},
            },
            "support-bot": {"alias": "gpt-4.1"},
        },
    )
    with gateway(config) as gw:
        models = {m.id: m for m in _client(gw).models.list()}
        one = httpx.get(gw.v1 + "/models/gpt-4.5-preview").json()
    assert {"gpt-4.5-preview", "gpt-4.1", "support-bot"} <= set(models)
    extra: dict[str, Any] = models["gpt-4.5-preview"].to_dict()
    assert extra["shutdown_date"] == "2025-07-14"
    assert extra["lifecycle"]["replacement"] == "gpt-4.1"
    assert one["lifecycle"]["state"] == "retired"


def test_client_disconnect_mid_stream_cancels_upstream(
    upstream: FakeUpstream, gateway: Any
) -> None:
    import socket
    import time

    upstream.set(chunk_delay=0.3)
    with gateway(base_config(upstream)) as gw:
        host, port = gw.url.removeprefix("http://").split(":")
        body = json.dumps(
            {
                "model": "gpt-4o",
                "stream": True,
                "messages": [{"role": "user", "content": " ".join(["w"] * 30)}],
            }
        )
        sock = socket.create_connection((host, int(port)))
        sock.sendall(
            f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: "
            f"application/json\r\ncontent-length: {len(body)}\r\n\r\n{body}".encode()
        )
        first = sock.recv(4096)
        assert b"200" in first.split(b"\r\n")[0]
        sock.close()
        deadline = time.monotonic() + 5
        while upstream.server.broken_streams == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gw.app.stats.in_flight == 0
    assert upstream.server.broken_streams == 1


def test_metrics_and_health(upstream: FakeUpstream, gateway: Any) -> None:
    config = base_config(
        upstream,
        routes={
            "gpt-4.5-preview": {
                "lifecycle": {"deprecated_on": "2025-04-14", "shutdown_on": "2099-07-14"}
            }
        },
    )
    with gateway(config) as gw:
        client = _client(gw)
        client.chat.completions.create(model="gpt-4.5-preview", messages=[])
        list(
            client.chat.completions.create(
                model="gpt-4o", messages=[], stream=True, stream_options={"include_usage": True}
            )
        )
        gw.http.post(gw.v1 + "/chat/completions", content=b"nope")
        gw.http.post(gw.v1 + "/chat/completions", json={"model": "gpt-fail500", "messages": []})
        metrics = gw.http.get(gw.url + "/metrics")
        health = gw.http.get(gw.url + "/healthz").json()
        ready = gw.http.get(gw.url + "/readyz").status_code
    text = metrics.text
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert health == {"status": "ok"} and ready == 200
    assert (
        'recast_requests_total{model="gpt-4.5-preview",served_model="gpt-4.5-preview",'
        'route="direct",status="200"} 1'
    ) in text
    assert 'recast_tokens_total{model="gpt-4o",direction="output"} 7' in text
    assert 'recast_tokens_total{model="gpt-4.5-preview",direction="input"} 11' in text
    assert 'recast_upstream_errors_total{upstream="fake",kind="5xx"} 1' in text
    assert 'recast_rejected_total{reason="invalid_json"} 1' in text
    assert 'recast_model_days_to_shutdown{model="gpt-4.5-preview"}' in text
    assert 'recast_request_duration_seconds_bucket{served_model="gpt-4o",le="+Inf"} 1' in text
    assert "# TYPE recast_captures_dropped_total counter" in text
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r"^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$", line), line


def test_anthropic_errors_in_anthropic_format(upstream: FakeUpstream, gateway: Any) -> None:
    config = base_config(upstream)
    config["upstreams"][0]["kind"] = "anthropic"
    with gateway(config) as gw:
        client = anthropic.Anthropic(base_url=gw.url, api_key="sk-ant-client", max_retries=0)
        with pytest.raises(anthropic.InternalServerError) as err:
            client.messages.create(
                model="claude-fail500", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
        bad = gw.http.post(gw.v1 + "/messages", content=b"{oops")
        unknown = gw.http.get(gw.url + "/v2/whatever")
    assert err.value.status_code == 502
    assert bad.status_code == 400
    assert bad.json()["type"] == "error"
    assert bad.json()["error"]["type"] == "invalid_request_error"
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
