"""Opening stores: URLs, settings, errors, migrations (idempotent and concurrent)."""

from __future__ import annotations

import multiprocessing
import socket
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from recast.errors import StoreError
from recast.store import MIGRATIONS, open_store, parse_url, safe_url
from recast.store._migrations import migrate, pending

ALL_MIGRATIONS = [fn.__name__ for fn in MIGRATIONS]


def _applied(store_url: str) -> list[str]:
    store = open_store(store_url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name FROM _recast_migrations ORDER BY name"))
            return [row[0] for row in rows]
    finally:
        store.close()


def test_default_store_lives_in_recast_home(recast_home: Path) -> None:
    store = open_store()
    try:
        assert store.backend == "sqlite"
        assert (recast_home / "recast.db").is_file()
    finally:
        store.close()


def test_plain_path_and_sqlite_url_are_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.db"
    assert parse_url(str(path)) == parse_url(f"sqlite:///{path}")
    store = open_store(path)
    store.close()
    assert path.is_file()


def test_postgresql_urls_use_psycopg3() -> None:
    url = parse_url("postgresql://u:secret@db.example:5432/recast")
    assert url.drivername == "postgresql+psycopg"
    assert parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert "secret" not in safe_url(url)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u@h/db", "Unsupported store backend 'mysql'"),
        ("sqlite://", "In-memory store"),
        ("sqlite:///:memory:", "In-memory store"),
        ("://nothing", "Invalid store URL"),
        ("   ", "Empty store URL"),
    ],
)
def test_bad_urls_raise_store_error(url: str, fragment: str) -> None:
    with pytest.raises(StoreError, match=fragment):
        open_store(url)


def test_sqlite_settings(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        store.close()


def test_corrupt_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "recast.db"
    path.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(StoreError) as err:
        open_store(path)
    message = str(err.value)
    assert "not a SQLite database or is corrupt" in message
    assert str(path) in message
    assert "\n" not in message


def test_directory_instead_of_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_postgres_is_one_line_without_password() -> None:
    url = f"postgresql://recast:hunter2secret@127.0.0.1:{_free_port()}/recast"
    with pytest.raises(StoreError) as err:
        open_store(url)
    message = str(err.value)
    assert message.startswith("Cannot connect to store 'postgresql+psycopg://recast:***@127.0.0.1")
    assert "hunter2secret" not in message
    assert "\n" not in message


def test_migrations_run_once_and_reopen_is_idempotent(store_url: str) -> None:
    assert _applied(store_url) == sorted(ALL_MIGRATIONS)
    store = open_store(store_url)
    try:
        assert migrate(store.engine) == []
        with store.engine.connect() as conn:
            assert pending(conn) == []
    finally:
        store.close()
    assert _applied(store_url) == sorted(ALL_MIGRATIONS)


def test_migration_names_are_ordered_and_unique() -> None:
    assert len(set(ALL_MIGRATIONS)) == len(ALL_MIGRATIONS)
    numbers = [int(name[1:4]) for name in ALL_MIGRATIONS]
    assert numbers == list(range(1, len(numbers) + 1))


def _open_in_child(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait()
    store = open_store(url)
    store.create_key("child")
    store.close()


@pytest.mark.slow
def test_several_processes_opening_at_once_migrate_once(store_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    children = [ctx.Process(target=_open_in_child, args=(store_url, barrier)) for _ in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    assert _applied(store_url) == sorted(ALL_MIGRATIONS)
    store = open_store(store_url)
    try:
        assert len(store.list_keys()) == 4
    finally:
        store.close()


def test_migration_failure_leaves_no_partial_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    # A table in the way of m002: the whole migration transaction must roll back.
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE gateway_keys (x INTEGER)")
    with pytest.raises(StoreError):
        open_store(path)
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "exchanges" not in names
    assert "_recast_migrations" not in names


def test_unusable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot create the folder for store"):
        open_store(blocker / "recast.db")


def test_store_repr_hides_the_password() -> None:
    from recast.store import Store

    url = parse_url("postgresql://u:topsecret@127.0.0.1:1/db")
    store = Store(sa.create_engine(url), url)
    assert "topsecret" not in repr(store)
    assert "***" in repr(store)
