"""``sync()`` and the ``sync`` / ``sources`` commands, against real files and loopback servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import typer
from typer.testing import CliRunner

from recast.catalog import load_catalog, reset_catalog_cache, user_cache_path
from recast.catalog._catalog import read_catalog_file
from recast.catalog._sync import sync
from recast.errors import SourceError

SOURCES = [
    "modeldeprecations.dev",
    "modeldeprecations.dev/models/openai/gpt-4.5-preview.yaml",
    "litellm",
    "litellm/model_prices_and_context_window.json",
    "models.dev",
    "models.dev/providers/anthropic/models/claude-3-opus-20240229.toml",
    "deprecations-rss",
    "deprecations-rss/docs/v1/deprecations.json",
]


class Handler(BaseHTTPRequestHandler):
    """Serves ``routes`` (path -> (status, content type, body)) and records request headers."""

    routes: ClassVar[dict[str, tuple[int, str, bytes]]] = {}
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append(
            {"path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
        )
        status, ctype, body = self.routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[Handler]]]:
    handler = type("H", (Handler,), {"routes": {}, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("relative", SOURCES)
def test_sync_from_each_local_source(lifecycle_data: Path, relative: str) -> None:
    path = lifecycle_data / relative
    report = sync(str(path))
    assert report.sources and report.sources[0].records >= 1
    assert report.sources[0].offerings >= 1
    cache = user_cache_path()
    assert cache.exists() and report.cache_path == str(cache)
    catalog = load_catalog()  # the cache now wins over the bundled file
    assert catalog.provenance[-1]["path"] == str(path)
    assert catalog.provenance[-1]["kind"] in ("file", "dir")
    assert len(catalog.offerings) >= 1000  # merged into the full catalog, nothing dropped
    (o,) = [x for x in catalog if x.platform == "openai" and x.platform_id == "gpt-4.5-preview"]
    assert o.lifecycle.shutdown_on is not None
    assert o.lifecycle.shutdown_on.on == date(2025, 7, 14)


def test_resync_of_the_same_data_changes_nothing(lifecycle_data: Path) -> None:
    first = sync(str(lifecycle_data / "litellm"))
    before = read_catalog_file(user_cache_path())
    second = sync(str(lifecycle_data / "litellm"))
    after = read_catalog_file(user_cache_path())
    assert second.changed_offerings == 0 and second.new_offerings == 0
    assert first.new_offerings == 0
    assert before.offerings == after.offerings and before.models == after.models


def _corrupt_cases(lifecycle_data: Path, tmp: Path) -> list[tuple[Path, str]]:
    yaml_file = tmp / "gpt-4.yaml"
    yaml_file.write_text(
        (lifecycle_data / "modeldeprecations.dev/models/openai/gpt-4.yaml").read_text()
        + "\nsources: [oops\n"
    )
    json_file = tmp / "model_prices_and_context_window.json"
    text = (lifecycle_data / "litellm/model_prices_and_context_window.json").read_text()
    json_file.write_text(text[:200_000])
    toml_file = tmp / "claude.toml"
    toml_file.write_text('name = "Claude"\nrelease_date = \n')
    feed = tmp / "deprecations.json"
    feed.write_text('[{"provider": "OpenAI", "model_id": "x", "shutdown_date": "2025-01-0')
    return [(yaml_file, "line"), (json_file, "line"), (toml_file, "line 2"), (feed, "line 1")]


def test_corrupt_sources_fail_and_leave_the_cache_alone(
    lifecycle_data: Path, tmp_path: Path
) -> None:
    sync(str(lifecycle_data / "deprecations-rss"))
    cache = user_cache_path()
    original = cache.read_bytes()
    for bad, where in _corrupt_cases(lifecycle_data, tmp_path):
        with pytest.raises(SourceError) as err:
            sync(str(bad))
        message = str(err.value)
        assert str(bad) in message and where in message, message
        assert cache.read_bytes() == original
    assert not list(cache.parent.glob(".catalog.json.*.tmp"))


def test_offline_named_source_says_so_and_keeps_the_catalog() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)

    client = httpx.Client(transport=httpx.MockTransport(unreachable))
    with pytest.raises(SourceError) as err:
        sync("litellm", client=client)
    message = str(err.value)
    assert "offline" in message and "raw.githubusercontent.com" in message
    assert not user_cache_path().exists()
    assert len(load_catalog()) > 1000  # bundled data still there
    with pytest.raises(SourceError) as every:
        sync(None, client=client)
    line = str(every.value)
    assert "\n" not in line and "offline" in line and "stays as it was" in line
    assert not user_cache_path().exists()


def test_sync_from_url(server: tuple[str, type[Handler]], lifecycle_data: Path) -> None:
    base, handler = server
    body = (lifecycle_data / "deprecations-rss/docs/v1/deprecations.json").read_bytes()
    handler.routes["/v1/deprecations.json"] = (200, "application/json", body)
    report = sync(f"{base}/v1/deprecations.json")
    assert report.sources[0].importer == "deprecations.info"
    assert report.sources[0].kind == "url"
    assert load_catalog().provenance[-1]["url"] == f"{base}/v1/deprecations.json"


def test_sync_from_url_http_error(server: tuple[str, type[Handler]]) -> None:
    base, _ = server
    with pytest.raises(SourceError, match="HTTP 404"):
        sync(f"{base}/missing.json")
    assert not user_cache_path().exists()


OPENAI_MODELS = {
    "object": "list",
    "data": [
        {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system",
         "shutdown_date": "2027-01-14"},
        {"id": "gpt-4.1", "object": "model", "created": 1744316542, "owned_by": "system",
         "shutdown_date": None},
        {"id": "gpt-9-preview", "object": "model", "created": 1790000000, "owned_by": "system",
         "shutdown_date": "2027-03-01"},
        {"id": "ft:gpt-4o:acme::abc", "object": "model", "created": 1, "owned_by": "acme"},
    ],
}  # fmt: skip
MISTRAL_MODELS = {
    "object": "list",
    "data": [
        {
            "id": "mistral-large-2411", "object": "model", "created": 1731542400,
            "owned_by": "mistralai", "name": "mistral-large-2411",
            "capabilities": {"completion_chat": True, "function_calling": True, "vision": False},
            "max_context_length": 131072, "aliases": ["mistral-large-latest"],
            "deprecation": "2026-05-31T12:00:00Z",
            "deprecation_replacement_model": "mistral-large-2512",
            "type": "base",
        },
        {
            "id": "mistral-small-2506", "object": "model", "created": 1750000000,
            "owned_by": "mistralai", "capabilities": {"vision": True},
            "max_context_length": 131072, "aliases": [], "deprecation": None,
            "deprecation_replacement_model": None, "type": "base",
        },
    ],
}  # fmt: skip


def test_sync_openai_models_endpoint(
    server: tuple[str, type[Handler]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, handler = server
    handler.routes["/v1/models"] = (200, "application/json", json.dumps(OPENAI_MODELS).encode())
    monkeypatch.setenv("TEST_OPENAI_KEY", "sk-test-123")
    report = sync(base_url=f"{base}/v1", api_key_env="TEST_OPENAI_KEY", platform="openai")
    part = report.sources[0]
    assert part.importer == "openai-models-endpoint"
    assert part.records == 4 and part.offerings == 3  # the fine-tune is skipped
    assert handler.seen[-1]["authorization"] == "Bearer sk-test-123"
    catalog = load_catalog()
    (gpt4o,) = [o for o in catalog if o.platform == "openai" and o.platform_id == "gpt-4o"]
    assert gpt4o.lifecycle.shutdown_on is not None
    assert gpt4o.lifecycle.shutdown_on.on == date(2027, 1, 14)
    assert any(s.importer == "openai-models-endpoint" for s in gpt4o.lifecycle.sources)
    (new,) = [o for o in catalog if o.platform_id == "gpt-9-preview"]
    assert new.model == "gpt-9-preview" and catalog.models["gpt-9-preview"].provider == "openai"
    assert catalog.provenance[-1]["kind"] == "models-endpoint"
    assert "sk-test-123" not in user_cache_path().read_text()


def test_sync_mistral_models_endpoint(server: tuple[str, type[Handler]]) -> None:
    base, handler = server
    handler.routes["/v1/models"] = (200, "application/json", json.dumps(MISTRAL_MODELS).encode())
    report = sync(base_url=base)  # shape tells it is Mistral
    assert report.sources[0].importer == "mistral-models-endpoint"
    catalog = load_catalog()
    (large,) = [
        o for o in catalog if o.platform == "mistral" and o.platform_id == "mistral-large-2411"
    ]
    assert large.lifecycle.shutdown_on is not None
    assert large.lifecycle.shutdown_on.on == date(2026, 5, 31)
    rep = large.lifecycle.recommended_replacement
    assert rep is not None and rep.model == "mistral-large-2512"
    assert "mistral-large-latest" in catalog.models["mistral-large-2411"].aliases
    assert catalog.models["mistral-small-2506"].capabilities.vision is True


def test_models_endpoint_needs_the_key_variable(server: tuple[str, type[Handler]]) -> None:
    base, _ = server
    with pytest.raises(SourceError, match="NO_SUCH_KEY_VAR"):
        sync(base_url=base, api_key_env="NO_SUCH_KEY_VAR")


def test_models_endpoint_rejected_key(server: tuple[str, type[Handler]]) -> None:
    base, handler = server
    handler.routes["/v1/models"] = (401, "application/json", b'{"error": "bad key"}')
    with pytest.raises(SourceError, match="HTTP 401"):
        sync(base_url=base)


def test_unknown_source_name() -> None:
    with pytest.raises(SourceError, match="neither a known source"):
        sync("no-such-source")


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli() -> typer.Typer:
    from recast.cli.models_sync import register

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    register(app)
    return app


def test_cli_sync_json(cli: typer.Typer, lifecycle_data: Path) -> None:
    result = CliRunner().invoke(
        cli, ["sync", "--source", str(lifecycle_data / "litellm"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert report["sources"][0]["importer"] == "litellm"
    reset_catalog_cache()


def test_cli_sync_corrupt_file_exits_2(cli: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "feed.json"
    bad.write_text('[{"provider": "OpenAI", "model_id": "gpt-4", "shutdown_date": ')
    result = CliRunner().invoke(cli, ["sync", "--source", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "line 1" in result.output


def test_cli_sources(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["sources", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = [s["source"] for s in doc["sources"]]
    assert names == [
        "modeldeprecations.dev",
        "deprecations.info",
        "litellm",
        "models.dev",
        "overlay",
    ]
    assert all(s["licence"] and s["records"] > 0 and s["built_at"] for s in doc["sources"])
    text = CliRunner().invoke(cli, ["sources"])
    assert "litellm" in text.stdout and "MIT" in text.stdout


def test_cli_sources_conflicts(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["sources", "--conflicts", "--json"])
    doc = json.loads(result.stdout)
    sonnet = [
        c for c in doc["conflicts"]
        if c["platform_id"] == "anthropic.claude-3-sonnet-20240229-v1:0"
        and c["field"] == "shutdown_on"
    ]  # fmt: skip
    assert sonnet and sonnet[0]["chosen"] == "2026-07-30" and sonnet[0]["reason"]
    text = CliRunner().invoke(cli, ["sources", "--conflicts"])
    assert "anthropic.claude-3-sonnet-20240229-v1:0 shutdown_on" in text.stdout
    assert "kept 2026-07-30" in text.stdout


def test_sync_modeldeprecations_archive_from_url(
    server: tuple[str, type[Handler]], lifecycle_data: Path, tmp_path: Path
) -> None:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in ("openai/gpt-4.5-preview.yaml", "bedrock/nova-pro.yaml"):
            tar.add(
                lifecycle_data / "modeldeprecations.dev/models" / name,
                arcname=f"modeldeprecations.dev-main/models/{name}",
            )
        tar.add(lifecycle_data / "modeldeprecations.dev/LICENSE", arcname="x-main/LICENSE")
    base, handler = server
    handler.routes["/main.tar.gz"] = (200, "application/gzip", buffer.getvalue())
    report = sync(f"{base}/main.tar.gz")
    part = report.sources[0]
    assert part.importer == "modeldeprecations.dev" and part.records == 2
    catalog = load_catalog()
    assert [o for o in catalog if o.platform_id == "amazon.nova-pro-v1:0"]


def test_corrupt_archive_from_url(server: tuple[str, type[Handler]]) -> None:
    base, handler = server
    handler.routes["/main.tar.gz"] = (200, "application/gzip", b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(SourceError, match="corrupt or partial"):
        sync(f"{base}/main.tar.gz")
    assert not user_cache_path().exists()


def test_a_sync_that_fails_half_way_writes_nothing_unless_partial(lifecycle_data: Path) -> None:
    """Every published source: LiteLLM answers, the others fail. All or nothing by default."""
    litellm = (lifecycle_data / "litellm/model_prices_and_context_window.json").read_bytes()

    def half(request: httpx.Request) -> httpx.Response:
        if "BerriAI" in str(request.url):
            return httpx.Response(200, content=litellm, headers={"content-type": "text/plain"})
        return httpx.Response(503)

    client = httpx.Client(transport=httpx.MockTransport(half))
    with pytest.raises(SourceError) as err:
        sync(None, client=client)
    line = str(err.value)
    assert "\n" not in line and "3 of 4 sources failed" in line and "nothing was" in line
    assert not user_cache_path().exists()
    report = sync(None, client=client, partial=True)
    assert [s.importer for s in report.sources] == ["litellm"]
    assert len(report.failures) == 3 and user_cache_path().exists()


def test_a_no_argument_sync_reads_provider_endpoints_whose_key_is_set(
    lifecycle_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path}")
        if request.url.host == "api.openai.com":
            assert request.headers["authorization"] == "Bearer sk-test"
            return httpx.Response(200, json={"data": [{"id": "gpt-4.1", "object": "model"}]})
        return httpx.Response(503)

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    report = sync(None, client=httpx.Client(transport=httpx.MockTransport(answer)), partial=True)
    assert "api.openai.com/v1/models" in seen
    assert [s.importer for s in report.sources] == ["openai-models-endpoint"]
    assert all("sk-test" not in failure for failure in report.failures)
