"""Fixtures for gateway tests: a fake upstream and real gateways on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
import uvicorn

from recast.gateway import Gateway, parse_config

from .upstream import FakeUpstream


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningGateway:
    app: Gateway
    url: str  # http://127.0.0.1:PORT
    server: uvicorn.Server

    @property
    def v1(self) -> str:
        return self.url + "/v1"

    @property
    def http(self) -> httpx.Client:
        """A keep-alive client for this gateway (closed when the gateway stops)."""
        client = self.__dict__.get("_http")
        if client is None:
            client = httpx.Client(timeout=30)
            self.__dict__["_http"] = client
        return client


@contextmanager
def serve_app(app: Any) -> Iterator[tuple[str, uvicorn.Server]]:
    """Run an ASGI app with uvicorn (uvloop + httptools, as in production) in a thread."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,  # no idle-connection close racing a loaded test's next request
        timeout_graceful_shutdown=10,
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("gateway did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as up:
        yield up


def base_config(upstream: FakeUpstream, **extra: Any) -> dict[str, Any]:
    """A config with one upstream (the fake) serving every model, keys off."""
    config: dict[str, Any] = {
        "upstreams": [
            {
                "name": "fake",
                "base_url": upstream.url,
                "api_key_env": "FAKE_UPSTREAM_KEY",
                "timeouts": {"connect": 2, "read": 2},
            }
        ],
        "access": {"require_key": False},
        "catalog_lifecycles": False,
    }
    config.update(extra)
    return config


GatewayFactory = Callable[..., Any]


@pytest.fixture
def gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., Any]]:
    """``with gateway(config_dict, capture=..., keys=..., today=...) as gw:``."""
    monkeypatch.setenv("FAKE_UPSTREAM_KEY", "sk-upstream-secret-key-000000000000")

    @contextmanager
    def start(
        config: dict[str, Any],
        capture: Any = None,
        keys: Any = None,
        today: date | None = None,
        ui: Any = None,
    ) -> Iterator[RunningGateway]:
        app = Gateway(
            parse_config(config),
            capture=capture,
            keys=keys,
            ui=ui,
            today=(lambda: today) if today else date.today,
        )
        with serve_app(app) as (url, server):
            running = RunningGateway(app, url, server)
            try:
                yield running
            finally:
                if "_http" in running.__dict__:
                    running.http.close()

    yield start


@pytest.fixture
def pg_schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    import secrets

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    base = request.getfixturevalue("postgres_url")
    schema = f"gw_{secrets.token_hex(6)}"
    admin = sa.create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty store on each backend (PostgreSQL when RECAST_TEST_POSTGRES_URL is set)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gw-store' / 'recast.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url
