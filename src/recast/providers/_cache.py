"""The on-disk response cache: rerunning an audition costs nothing.

One SQLite file, ``recast_home()/cache/responses.sqlite3`` by default. The key is the
SHA-256 of the provider's ``identity`` (endpoint and model, never the API key) and the
request's :meth:`~recast.providers.ChatRequest.canonical_json`. Values are the
response's JSON. Each write is one transaction, so a crash never leaves half an entry,
and WAL mode lets several processes share the file.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from recast._home import recast_home
from recast.errors import StoreError
from recast.providers._types import ChatRequest, ChatResponse, Provider, ProviderWrapper

CACHE_FILE = "responses.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    model TEXT NOT NULL,
    response_json TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


def default_cache_path() -> Path:
    """``recast_home()/cache/responses.sqlite3``."""
    return recast_home() / "cache" / CACHE_FILE


def cache_key(identity: str, request: ChatRequest) -> str:
    """The cache key of ``request`` sent to the provider with ``identity``."""
    text = identity + "\n" + request.canonical_json()
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """Responses by (provider identity, canonical request), in one SQLite file.

    Safe to share between threads and processes. Only successful responses are stored;
    nothing in a key or a value comes from the API key (headers are never kept).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"Cannot open the response cache {str(self.path)!r}: {exc}. "
                "Check the folder's permissions or delete the file."
            ) from exc
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM responses").fetchone()
        return int(row[0])

    def get(self, identity: str, request: ChatRequest) -> ChatResponse | None:
        """Return the cached response marked ``cached=True``, or ``None``."""
        key = cache_key(identity, request)
        try:
            with self._lock:
                row = self._db.execute(
                    "SELECT response_json FROM responses WHERE key = ?", (key,)
                ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(
                f"Cannot read the response cache {str(self.path)!r}: {exc}. It only "
                "holds answers already paid for: delete it, or run with --no-cache."
            ) from exc
        if row is None:
            self.misses += 1
            return None
        try:
            response = ChatResponse.from_dict(json.loads(row[0]))
        except (ValueError, TypeError):
            self.misses += 1
            return None  # a corrupt entry is a miss; the next put replaces it
        self.hits += 1
        return replace(response, cached=True)

    def put(self, identity: str, request: ChatRequest, response: ChatResponse) -> None:
        """Store a response (replacing any older entry for the same key)."""
        stored = replace(response, cached=False, replayed=False)
        payload = json.dumps(stored.to_dict(), ensure_ascii=False, sort_keys=True)
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        try:
            with self._lock:
                self._db.execute(
                    "INSERT OR REPLACE INTO responses (key, identity, model, response_json,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (cache_key(identity, request), identity, request.model, payload, now),
                )
        except sqlite3.Error as exc:
            raise StoreError(
                f"Cannot write the response cache {str(self.path)!r}: {exc}. It only "
                "holds answers already paid for: delete it, or run with --no-cache."
            ) from exc

    def clear(self) -> int:
        """Delete every entry; return how many there were."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM responses")
        return int(cursor.rowcount)


class CachedProvider(ProviderWrapper):
    """Answer from the cache when possible, else call ``inner`` and store the answer.

    Identical requests in flight at the same time share one call (the others wait for
    it and get its answer marked ``cached=True``). Replayed answers are not cached
    (they are free already).
    """

    def __init__(self, inner: Provider, cache: ResponseCache) -> None:
        super().__init__(inner)
        self.cache = cache
        self._in_flight: dict[str, asyncio.Future[ChatResponse]] = {}

    def __repr__(self) -> str:
        return f"CachedProvider({self.inner!r}, {self.cache!r})"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Return the cached response, or call the provider and cache its answer."""
        hit = self.cache.get(self.identity, request)
        if hit is not None:
            return hit
        key = cache_key(self.identity, request)
        pending = self._in_flight.get(key)
        if pending is not None:
            try:
                shared = await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this caller was cancelled
                return await self.complete(request)  # the caller we waited on was
            return replace(shared, cached=True) if not shared.replayed else shared
        future: asyncio.Future[ChatResponse] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            response = await self.inner.complete(request)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody may be waiting
            raise
        finally:
            del self._in_flight[key]
        if not response.replayed:
            self.cache.put(self.identity, request, response)
        future.set_result(response)
        return response
