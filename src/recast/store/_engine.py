"""Store URLs and engines: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

from recast._home import recast_home
from recast.errors import StoreError

#: How long SQLite waits for another writer before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 30_000

_URL_HINT = "Use sqlite:///PATH, a file path, or postgresql://USER@HOST:PORT/DB."
# A NUL escape not itself escaped: PostgreSQL rejects \u0000 in jsonb and text.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _enable_wal(cursor: Any) -> None:
    """Switch a SQLite database to WAL, waiting while another process holds it.

    Changing the journal mode needs an exclusive lock, and SQLite reports
    "database is locked" for it at once instead of waiting on busy_timeout, so
    several processes opening a new store together must retry here.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def default_url() -> str:
    """The default store: ``sqlite:///<recast home>/recast.db``."""
    return f"sqlite:///{recast_home() / 'recast.db'}"


def parse_url(url: str | Path | None) -> URL:
    """Turn what the user gave into a SQLAlchemy URL (``postgresql://`` uses psycopg 3)."""
    if url is None:
        url = default_url()
    text = str(url).strip()
    if not text:
        raise StoreError(f"Empty store URL {text!r}. {_URL_HINT}")
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        return URL.create("sqlite", database=str(path))
    try:
        parsed = make_url(text)
    except sa.exc.ArgumentError:
        raise StoreError(f"Invalid store URL {text!r}. {_URL_HINT}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StoreError(
                f"In-memory store {text!r} is not supported (captures would vanish "
                f"and threads would not share it). Give a file path, e.g. sqlite:///recast.db."
            )
        path = Path(parsed.database).expanduser().resolve()
        return parsed.set(drivername="sqlite", database=str(path))
    if backend in ("postgresql", "postgres"):
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    raise StoreError(f"Unsupported store backend {backend!r} in {safe_url(parsed)!r}. {_URL_HINT}")


def safe_url(url: URL) -> str:
    """The URL as text with any password hidden."""
    return url.render_as_string(hide_password=True)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def scrub_nul(text: str | None) -> str | None:
    """JSON text with ``\\u0000`` escapes made U+FFFD (PostgreSQL rejects NUL)."""
    if text is not None and "\\u0000" in text:
        return _JSON_NUL.sub(r"\1\\ufffd", text)
    return text


def _loads(text: str | bytes) -> Any:
    """Decode a JSON column; text that is not JSON comes back as the text itself.

    SQLite's ``json_valid`` guards what the capture path stores, but it accepts JSON5
    on some SQLite versions: one odd row must not stop a whole read.
    """
    try:
        return json.loads(text)
    except ValueError:
        return text if isinstance(text, str) else text.decode("utf-8", "replace")


def _dumps_postgres(value: Any) -> str:
    return scrub_nul(_dumps(value)) or ""


def create_engine(url: URL) -> sa.Engine:
    """Build the engine with recast's settings for the backend."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return _postgres_engine(url)


def _sqlite_engine(url: URL) -> sa.Engine:
    assert url.database
    path = Path(url.database)
    if path.is_dir():
        raise StoreError(f"Store path {str(path)!r} is a directory; give a file path inside it.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the folder for store {str(path)!r}: {exc.strerror}. "
            "Choose a writable location with --store."
        ) from exc
    engine = sa.create_engine(url, json_serializer=_dumps, json_deserializer=_loads)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so pysqlite must not.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front, so they queue on busy_timeout instead
        # of failing when a read transaction tries to upgrade.
        if conn.get_execution_options().get("recast_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _postgres_engine(url: URL) -> sa.Engine:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise StoreError(
            f"Store {safe_url(url)!r} needs the PostgreSQL driver psycopg 3. "
            "Install it with `pip install 'llm-recast[postgres]'`."
        ) from None
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = 10
    if "application_name" not in url.query:
        connect_args["application_name"] = "recast"
    return sa.create_engine(
        url,
        json_serializer=_dumps_postgres,
        json_deserializer=_loads,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def describe_error(url: URL, exc: BaseException) -> StoreError:
    """A one-line StoreError for a driver error raised while opening ``url``."""
    original = getattr(exc, "orig", None) or exc
    detail = (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
    where = safe_url(url)
    if url.get_backend_name() == "sqlite":
        path = url.database
        lowered = detail.lower()
        if "not a database" in lowered or "malformed" in lowered:
            return StoreError(
                f"Store {path!r} is not a SQLite database or is corrupt ({detail}). "
                "Move it aside or point --store at another file."
            )
        if "readonly" in lowered or "read-only" in lowered or "permission" in lowered:
            return StoreError(
                f"Store {path!r} is not writable ({detail}). "
                "Fix its permissions or point --store at another file."
            )
        if "unable to open" in lowered:
            return StoreError(
                f"Cannot open store {path!r} ({detail}). "
                "Check the path and its folder's permissions, or point --store elsewhere."
            )
        return StoreError(f"Store {path!r} failed: {detail}.")
    if isinstance(exc, sa.exc.OperationalError) or "connect" in detail.lower():
        return StoreError(
            f"Cannot connect to store {where!r}: {detail}. "
            "Check that the server is running and the URL, user and database are right."
        )
    return StoreError(f"Store {where!r} failed: {detail}.")
