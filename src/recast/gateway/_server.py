"""Running the gateway: build it from a config file, serve it with uvicorn, reload, drain.

``serve()`` is what ``recast serve`` calls. With ``workers > 1`` uvicorn starts that many
processes, each building its own gateway through :func:`app_from_env` (the settings
travel in ``RECAST_GATEWAY_*`` environment variables).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recast.errors import ConfigError
from recast.gateway._app import Gateway
from recast.gateway._config import GatewayConfig, load_config
from recast.gateway._metrics import Gauge

log = logging.getLogger("recast.gateway")

_ENV_CONFIG = "RECAST_GATEWAY_CONFIG"
_ENV_STORE = "RECAST_GATEWAY_STORE"
_ENV_NO_CAPTURE = "RECAST_GATEWAY_NO_CAPTURE"
_ENV_LAST_GOOD = "RECAST_GATEWAY_LAST_GOOD"


def _load(path: Path, last_good: Path | None) -> GatewayConfig:
    """Load ``path``; if it is broken and a last good copy exists, log why and use that.

    With several workers, uvicorn answers SIGHUP by restarting them: a broken file must not
    take them down, so each worker falls back to the last config that validated.
    """
    try:
        config = load_config(path)
    except ConfigError as exc:
        if last_good is None or not last_good.exists():
            raise
        log.error(
            "config reload failed; keeping the running config",
            extra={"fields": {"event": "reload_failed", "error": str(exc)}},
        )
        return load_config(last_good)
    if last_good is not None:
        _save_last_good(path, last_good)
    return config


def _save_last_good(path: Path, last_good: Path) -> None:
    tmp = last_good.with_name(f".{last_good.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(path.read_bytes())
        os.replace(tmp, last_good)
    except OSError as exc:
        log.warning("could not keep a copy of the last good config: %s", exc)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``at``, ``level``, ``logger``, ``message`` and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def setup_logging(level: str = "info") -> None:
    """Send recast's and uvicorn's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("recast", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


@dataclass
class ServeOptions:
    """What ``recast serve`` was asked for."""

    config_path: Path
    store_url: str | None = None
    capture: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    log_level: str = "info"
    watch: bool = True
    access_log: bool = False


class Runtime:
    """A gateway plus what keeps it running: capture, keys, reload, retention."""

    def __init__(
        self,
        config_path: Path,
        store_url: str | None = None,
        capture: bool = True,
        watch: bool = True,
        last_good: Path | None = None,
    ) -> None:
        from recast.gateway._capture import StoreKeys, build_redactor
        from recast.gateway._capture_proc import ProcessCapture
        from recast.gateway._ui import render_dashboard
        from recast.store import Store, open_store

        self.config_path = config_path
        self.last_good = last_good
        config = _load(config_path, last_good)
        url = store_url or config.capture.store
        capturing = capture and config.capture.enabled
        #: The store, for keys and the dashboard; captures are written by a separate process.
        self.store: Store | None = None
        if capturing or config.access.require_key:
            self.store = open_store(url, redactor=build_redactor(config.capture))
        self.keys = StoreKeys(self.store) if self.store is not None else None
        self.capture: ProcessCapture | None = (
            ProcessCapture(url, config.capture) if capturing else None
        )
        self.gateway = Gateway(config, capture=self.capture, keys=self.keys, ui=render_dashboard)
        self.gateway.runtime = self  # type: ignore[attr-defined]
        if self.capture is not None:
            sink = self.capture
            self.gateway.metrics.add_gauge(
                Gauge(
                    "recast_captures_pending",
                    "Exchanges accepted but not yet written to the store.",
                    (),
                    lambda: [((), float(sink.stats()["pending"]))],
                )
            )
            self.gateway.metrics.add_gauge(
                Gauge(
                    "recast_captures_written",
                    "Exchanges written to the store by this process's capture writer.",
                    (),
                    lambda: [((), float(sink.stats()["captured"]))],
                )
            )
            self.gateway.metrics.add_gauge(
                Gauge(
                    "recast_captures_failed",
                    "Exchanges accepted but lost to store write errors.",
                    (),
                    lambda: [((), float(sink.stats()["failed"]))],
                )
            )
        self.watch = watch
        self._mtime = _mtime(config_path)
        self._tasks: list[asyncio.Task[None]] = []
        self.gateway.on_startup.append(self.start)
        self.gateway.on_shutdown.append(self.stop)

    def reload(self) -> bool:
        """Reread the config file; keep the running config (and log why) if it is broken."""
        try:
            config = load_config(self.config_path)
            if self.last_good is not None:
                _save_last_good(self.config_path, self.last_good)
        except Exception as exc:
            log.error(
                "config reload failed; keeping the running config",
                extra={"fields": {"event": "reload_failed", "error": str(exc)}},
            )
            return False
        self.gateway.reload(config)
        log.info(
            "config reloaded",
            extra={"fields": {"event": "reloaded", "path": str(self.config_path)}},
        )
        return True

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        if self.watch:
            self._tasks.append(loop.create_task(self._watch()))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            mtime = _mtime(self.config_path)
            if mtime != self._mtime:
                self._mtime = mtime
                self.reload()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.capture is not None:
            # a backlog the low-priority writer left (after a saturating burst) is written now
            done = await asyncio.to_thread(self.capture.close, 120.0)
            stats = self.capture.stats()
            log.info(
                "captures flushed" if done else "captures NOT all flushed",
                extra={"fields": {"event": "capture_closed", **stats}},
            )
        if self.store is not None:
            self.store.close()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def app_from_env() -> Gateway:
    """Build the gateway in a uvicorn worker process from ``RECAST_GATEWAY_*`` variables."""
    setup_logging(os.environ.get("RECAST_GATEWAY_LOG_LEVEL", "info"))
    runtime = Runtime(
        Path(os.environ[_ENV_CONFIG]),
        os.environ.get(_ENV_STORE) or None,
        capture=not os.environ.get(_ENV_NO_CAPTURE),
        watch=os.environ.get("RECAST_GATEWAY_WATCH", "1") == "1",
        last_good=Path(os.environ[_ENV_LAST_GOOD]) if os.environ.get(_ENV_LAST_GOOD) else None,
    )
    return runtime.gateway


def check_config(path: Path) -> GatewayConfig:
    """Validate a config file (``recast serve --check``); raise ConfigError when broken."""
    return load_config(path)


def serve(options: ServeOptions) -> None:
    """Run the gateway until SIGINT/SIGTERM; drain in-flight requests and flush captures."""
    import uvicorn

    load_config(options.config_path)  # fail fast, with the field path, before forking
    setup_logging(options.log_level)
    os.environ[_ENV_CONFIG] = str(options.config_path.resolve())
    if options.workers > 1:
        snapshot = Path(tempfile.mkdtemp(prefix="recast-gateway-")) / "last-good.yaml"
        _save_last_good(options.config_path, snapshot)
        os.environ[_ENV_LAST_GOOD] = str(snapshot)
    if options.store_url:
        os.environ[_ENV_STORE] = options.store_url
    if not options.capture:
        os.environ[_ENV_NO_CAPTURE] = "1"
    os.environ["RECAST_GATEWAY_WATCH"] = "1" if options.watch else "0"
    os.environ["RECAST_GATEWAY_LOG_LEVEL"] = options.log_level
    extra: dict[str, Any] = {}
    try:
        import uvloop  # noqa: F401

        extra["loop"] = "uvloop"
    except ImportError:  # pragma: no cover
        extra["loop"] = "asyncio"
    try:
        import httptools  # noqa: F401

        extra["http"] = "httptools"
    except ImportError:  # pragma: no cover
        extra["http"] = "h11"
    log.info(
        "recast gateway starting",
        extra={
            "fields": {
                "event": "starting",
                "host": options.host,
                "port": options.port,
                "workers": options.workers,
            }
        },
    )
    uvicorn.run(
        "recast.gateway._server:app_from_env",
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers if options.workers > 1 else None,
        lifespan="on",
        access_log=options.access_log,
        log_config=None,
        timeout_graceful_shutdown=30,
        backlog=2048,
        server_header=False,
        date_header=False,
        **extra,
    )
