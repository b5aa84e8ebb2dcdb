"""The Store: captured exchanges, gateway keys, audition runs and results, watch state."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL

from recast.errors import StoreError
from recast.store import _schema as t
from recast.store._engine import create_engine, describe_error, parse_url, safe_url, scrub_nul
from recast.store._migrations import migrate
from recast.store._redact import DEFAULT_REDACTOR, RawJson, RawStream, Redactor
from recast.store._sse import assemble_stream
from recast.store._types import (
    RUN_STATUSES,
    AuditionReportRecord,
    AuditionResult,
    AuditionRun,
    CapturedExchange,
    ExchangePair,
    GatewayKey,
    JsonValue,
    ModelUsage,
    WatchAlert,
    new_id,
    utcnow,
)

#: Gateway keys look like ``rcst-<12-char id>-<43-char secret>``.
KEY_SCHEME = "rcst"
_KEY_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_PAGE = 1000
_NO_REDACTION = Redactor(secrets=False)
_EXCHANGE_JSON = ("route_detail", "request_json", "response_json", "tags")


@functools.lru_cache(maxsize=8)
def _second_text(second: datetime) -> str:
    return second.replace(tzinfo=None).isoformat(" ")


def _sqlite_timestamp(moment: datetime) -> str:
    """UTC ``YYYY-MM-DD HH:MM:SS.ffffff``: the text SQLAlchemy stores for DateTime on SQLite.

    The capture path formats thousands per second: the part up to the second is reused
    (a cache, not shared mutable state, so concurrent writers cannot mix two seconds).
    """
    return f"{_second_text(moment.replace(microsecond=0))}.{moment.microsecond:06d}"


def _raw_texts(exchanges: Sequence[CapturedExchange]) -> Iterator[str]:
    """The bodies given as text (:class:`RawJson`, :class:`RawStream`), for one check."""
    for ex in exchanges:
        for body in (ex.request, ex.response, ex.route_detail):
            kind = type(body)
            if kind is RawJson or kind is RawStream:
                yield body  # type: ignore[misc]


def _json_column(value: JsonValue, r: Redactor, texts_clean: bool) -> str | None:
    if value is None:
        return None
    if texts_clean and type(value) is RawJson:
        return str(value)
    return r.json_text(value)


def _response_columns(
    response: JsonValue, r: Redactor, texts_clean: bool
) -> tuple[str | None, str | None]:
    """(``response_json``, ``response_stream``) for a response as given to the store.

    A :class:`RawStream` is kept as relayed when nothing in it needs redaction, and
    otherwise assembled now so the redactor can work on its values.
    """
    if type(response) is RawStream:
        if texts_clean or r.text_is_clean(response):
            return None, str(response)
        assembled, _ = assemble_stream(response)
        return r.json_text(assembled), None
    return _json_column(response, r, texts_clean), None


def _checked_json(text: str) -> str:
    """``text`` if it is JSON, else ``text`` as a JSON string (for ``jsonb``)."""
    try:
        json.loads(text)
    except ValueError:
        return json.dumps(text, ensure_ascii=False)
    return text


def _stored_response(row: sa.RowMapping) -> JsonValue:
    """The response of a stored exchange; a stream kept as relayed is assembled here."""
    response: JsonValue = row["response_json"]
    if response is None and row["response_stream"] is not None:
        response, _ = assemble_stream(row["response_stream"])
    return response


def _hash_secret(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


class Store:
    """Persistence shared by the gateway, audition and watch.

    Open it with :func:`open_store`. Thread-safe: every method takes a pooled
    connection for its own short transaction. Writes raise
    :class:`recast.errors.StoreError` when the database refuses them.
    """

    def __init__(self, engine: sa.Engine, url: URL, redactor: Redactor | None = None) -> None:
        self._engine = engine
        self.url = url
        #: Applied to every captured exchange before it is written.
        self.redactor = redactor if redactor is not None else DEFAULT_REDACTOR
        self._capture_statement: str | None = None

    # --- plumbing ---------------------------------------------------------------

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for tools and tests; the schema is in docs/store.md)."""
        return self._engine

    def __repr__(self) -> str:
        return f"Store({safe_url(self.url)!r})"

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            raise describe_error(self.url, exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        try:
            with (
                self._engine.connect().execution_options(recast_write=True) as conn,
                conn.begin(),
            ):
                yield conn
        except sa.exc.DBAPIError as exc:
            raise describe_error(self.url, exc) from exc

    def _insert(self, table: sa.Table) -> Any:
        """A dialect insert supporting ``on_conflict_do_*`` on both backends."""
        if self.backend == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # --- captured exchanges -------------------------------------------------------

    def _capture_sql(self) -> str:
        """The batched INSERT for exchanges, in the driver's own parameter style.

        The capture path skips SQLAlchemy's per-row parameter processing (it cost
        several times the database's own work): rows are built as tuples, JSON
        serialised once, and the driver's ``executemany`` runs this statement.
        On SQLite bodies kept as received (:class:`RawJson`) are checked with
        ``json_valid`` in SQL (C, a microsecond) and stored as a JSON string when they
        are not JSON; on PostgreSQL ``_exchange_row`` checks them before ``::jsonb``.
        """
        if self._capture_statement is None:
            pg = self.backend == "postgresql"
            names = [column.name for column in t.exchanges.columns]
            if pg:
                casts = {"captured_at": "::timestamptz"}
                casts.update({name: "::jsonb" for name in _EXCHANGE_JSON})
                values = ", ".join("%s" + casts.get(name, "") for name in names)
            else:
                marks = [f"?{number}" for number in range(1, len(names) + 1)]
                for name in ("request_json", "response_json"):
                    raw = marks[names.index(name)]
                    marks[names.index(name)] = (
                        f"CASE WHEN {raw} IS NULL OR json_valid({raw}) THEN {raw} "
                        f"ELSE json_quote({raw}) END"
                    )
                values = ", ".join(marks)
            self._capture_statement = (
                f"INSERT INTO exchanges ({', '.join(names)}) VALUES ({values}) "
                "ON CONFLICT (id) DO NOTHING"
            )
        return self._capture_statement

    def _exchange_row(
        self, ex: CapturedExchange, r: Redactor, pg: bool, texts_clean: bool = False
    ) -> tuple[Any, ...]:
        """The INSERT parameters for ``ex``; ``texts_clean``: its text bodies need no redaction."""
        at = ex.captured_at
        at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
        route_detail = _json_column(ex.route_detail, r, texts_clean)
        request = _json_column(ex.request, r, texts_clean)
        response, stream = _response_columns(ex.response, r, texts_clean)
        tags = r.json_text(ex.tags) if ex.tags else None
        error = r.text(ex.error) if ex.error else ex.error
        if pg:
            if type(ex.request) is RawJson and request is not None:
                request = _checked_json(request)
            if type(ex.response) is RawJson and response is not None:
                response = _checked_json(response)
            route_detail, request, response, tags = (
                scrub_nul(v) for v in (route_detail, request, response, tags)
            )
            if stream:
                stream = stream.replace("\x00", "\ufffd")
            if error:
                error = error.replace("\x00", "\ufffd")
        # Same order as the columns of t.exchanges (checked by a test).
        return (
            ex.id,
            at if pg else _sqlite_timestamp(at),
            ex.requested_model,
            ex.served_model,
            ex.platform,
            ex.upstream,
            ex.route,
            route_detail,
            ex.endpoint,
            request,
            response,
            ex.status_code,
            bool(ex.stream),
            ex.input_tokens,
            ex.output_tokens,
            ex.cached_tokens,
            ex.latency_ms,
            ex.ttft_ms,
            ex.cost_usd,
            error,
            ex.key_id,
            ex.shadow_of,
            tags,
            stream,
        )

    def capture_many(self, exchanges: Sequence[CapturedExchange], *, redact: bool = True) -> int:
        """Write exchanges in one transaction (one batched statement); return ``len(exchanges)``.

        Each one passes through :attr:`redactor` first unless ``redact=False``
        (for callers that already redacted). An exchange whose ``id`` is already
        stored is skipped silently, so retrying a batch never duplicates rows.
        """
        if not exchanges:
            return 0
        redactor = self.redactor if redact else _NO_REDACTION
        # One pass over every body given as text; when it finds nothing, they are stored as is.
        clean = not redact or redactor.texts_are_clean(_raw_texts(exchanges))
        pg = self.backend == "postgresql"
        rows = [self._exchange_row(ex, redactor, pg, clean) for ex in exchanges]
        sql = self._capture_sql()
        with self._write() as conn:
            conn.exec_driver_sql(sql, rows)
        return len(rows)

    def capture(self, exchange: CapturedExchange, *, redact: bool = True) -> None:
        """Write one exchange (prefer :class:`CaptureWriter` on a request path)."""
        self.capture_many([exchange], redact=redact)

    @staticmethod
    def _exchange(row: sa.RowMapping) -> CapturedExchange:
        return CapturedExchange(
            id=row["id"],
            captured_at=row["captured_at"],
            requested_model=row["requested_model"],
            served_model=row["served_model"],
            platform=row["platform"],
            upstream=row["upstream"],
            route=row["route"],
            route_detail=row["route_detail"],
            endpoint=row["endpoint"],
            request=row["request_json"],
            response=_stored_response(row),
            status_code=row["status_code"],
            stream=bool(row["stream"]),
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            cached_tokens=row["cached_tokens"],
            latency_ms=row["latency_ms"],
            ttft_ms=row["ttft_ms"],
            cost_usd=row["cost_usd"],
            error=row["error"],
            key_id=row["key_id"],
            shadow_of=row["shadow_of"],
            tags=row["tags"] or {},
        )

    def _exchange_filter(
        self,
        *,
        model: str | None,
        served_model: str | None,
        since: datetime | None,
        until: datetime | None,
        include_shadows: bool,
    ) -> list[sa.ColumnElement[bool]]:
        ex = t.exchanges.c
        where: list[sa.ColumnElement[bool]] = []
        if model is not None:
            where.append(ex.requested_model == model)
        if served_model is not None:
            where.append(ex.served_model == served_model)
        if since is not None:
            where.append(ex.captured_at >= _aware(since))
        if until is not None:
            where.append(ex.captured_at < _aware(until))
        if not include_shadows:
            where.append(ex.shadow_of.is_(None))
        return where

    def _pages(
        self, where: list[sa.ColumnElement[bool]], limit: int | None
    ) -> Iterator[list[CapturedExchange]]:
        """Exchanges matching ``where`` in (captured_at, id) order, a page at a time.

        Keyset pagination: each page is its own short read, so a slow consumer never
        holds a transaction open (which would stall SQLite's WAL checkpoints).
        """
        ex = t.exchanges.c
        after: tuple[datetime, str] | None = None
        remaining = limit
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            query = sa.select(t.exchanges).where(*where)
            if after is not None:
                query = query.where(
                    sa.or_(
                        ex.captured_at > after[0],
                        sa.and_(ex.captured_at == after[0], ex.id > after[1]),
                    )
                )
            query = query.order_by(ex.captured_at, ex.id).limit(size)
            with self._read() as conn:
                page = [self._exchange(row) for row in conn.execute(query).mappings()]
            if not page:
                return
            yield page
            if remaining is not None:
                remaining -= len(page)
            if len(page) < size:
                return
            after = (page[-1].captured_at, page[-1].id)

    def iter_exchanges(
        self,
        model: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        *,
        served_model: str | None = None,
        include_shadows: bool = False,
    ) -> Iterator[CapturedExchange]:
        """Yield captured exchanges oldest first (ties by id).

        ``model`` matches the requested model, ``served_model`` the one that
        answered; ``since`` is inclusive, ``until`` exclusive (naive datetimes are
        taken as UTC). Shadow results are left out unless ``include_shadows``.
        """
        where = self._exchange_filter(
            model=model,
            served_model=served_model,
            since=since,
            until=until,
            include_shadows=include_shadows,
        )
        for page in self._pages(where, limit):
            yield from page

    def get_exchange(self, exchange_id: str) -> CapturedExchange | None:
        """The exchange with this id, or ``None``."""
        with self._read() as conn:
            row = (
                conn.execute(sa.select(t.exchanges).where(t.exchanges.c.id == exchange_id))
                .mappings()
                .first()
            )
        return self._exchange(row) if row is not None else None

    def count_exchanges(
        self,
        model: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        include_shadows: bool = True,
    ) -> int:
        """How many exchanges match (shadow results included unless told otherwise)."""
        where = self._exchange_filter(
            model=model,
            served_model=None,
            since=since,
            until=until,
            include_shadows=include_shadows,
        )
        query = sa.select(sa.func.count()).select_from(t.exchanges).where(*where)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def exchange_pairs(
        self,
        model: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[ExchangePair]:
        """Yield primary exchanges that have shadow results, each with its shadows.

        Oldest primary first; shadows ordered by capture time. This is what an
        audition reads: the primary is the baseline, each shadow a candidate.
        """
        ex = t.exchanges.c
        shadow = t.exchanges.alias("shadow")
        where = self._exchange_filter(
            model=model, served_model=None, since=since, until=until, include_shadows=False
        )
        where.append(sa.exists().where(shadow.c.shadow_of == ex.id))
        for page in self._pages(where, limit):
            ids = [p.id for p in page]
            query = (
                sa.select(t.exchanges).where(ex.shadow_of.in_(ids)).order_by(ex.captured_at, ex.id)
            )
            found: dict[str, list[CapturedExchange]] = {i: [] for i in ids}
            with self._read() as conn:
                for row in conn.execute(query).mappings():
                    item = self._exchange(row)
                    found[str(item.shadow_of)].append(item)
            for primary in page:
                yield ExchangePair(primary, tuple(found[primary.id]))

    def apply_retention(
        self,
        max_age_days: float | None = None,
        max_rows: int | None = None,
        *,
        now: datetime | None = None,
        chunk: int = 1000,
    ) -> int:
        """Delete old exchanges; return how many rows were deleted.

        ``max_age_days`` removes exchanges captured more than that many days before
        ``now``; ``max_rows`` then keeps only the newest ``max_rows`` rows. Shadow
        results go with their primary. Rows go ``chunk`` at a time, one transaction
        each, so a large clean-up never holds the store's write lock for long (the
        gateway's capture writer runs it at idle priority while other writers wait).
        """
        if max_rows is not None and max_rows < 0:
            raise StoreError(f"max_rows must be 0 or more, not {max_rows!r}.")
        ex = t.exchanges.c
        deleted = 0
        if max_age_days is not None:
            cutoff = (_aware(now) or utcnow()) - timedelta(days=max_age_days)
            deleted += self._delete_older(ex.captured_at < cutoff, chunk)
        if max_rows is not None:
            with self._read() as conn:
                edge = conn.execute(
                    sa.select(ex.captured_at, ex.id)
                    .order_by(ex.captured_at.desc(), ex.id.desc())
                    .offset(max_rows)
                    .limit(1)
                ).first()
            if edge is not None:
                older = sa.or_(
                    ex.captured_at < edge.captured_at,
                    sa.and_(ex.captured_at == edge.captured_at, ex.id <= edge.id),
                )
                deleted += self._delete_older(older, chunk)
        return deleted

    def _delete_older(self, older: sa.ColumnElement[bool], chunk: int) -> int:
        """Delete the rows matching ``older``, oldest first, ``chunk`` per transaction,
        each with any newer shadows of theirs."""
        ex = t.exchanges.c
        deleted = 0
        while True:
            with self._write() as conn:
                ids = list(
                    conn.execute(
                        sa.select(ex.id).where(older).order_by(ex.captured_at, ex.id).limit(chunk)
                    ).scalars()
                )
                if not ids:
                    return deleted
                shadows = sa.delete(t.exchanges).where(ex.shadow_of.in_(ids), sa.not_(older))
                deleted += int(conn.execute(shadows).rowcount)
                deleted += int(conn.execute(sa.delete(t.exchanges).where(ex.id.in_(ids))).rowcount)
            if len(ids) < chunk:
                return deleted

    # --- gateway keys -------------------------------------------------------------

    @staticmethod
    def _key(row: sa.RowMapping) -> GatewayKey:
        allowed = row["allowed_models"]
        return GatewayKey(
            id=row["id"],
            name=row["name"],
            prefix=row["prefix"],
            allowed_models=tuple(allowed) if allowed is not None else None,
            rpm_limit=row["rpm_limit"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )

    def create_key(
        self,
        name: str,
        allowed_models: Iterable[str] | None = None,
        rpm: int | None = None,
    ) -> tuple[str, str]:
        """Create a gateway key; return ``(key_id, plaintext_key)``.

        The plaintext is returned once and never stored: only a salted SHA-256 of
        its secret part. ``allowed_models`` (ids or shell patterns) ``None`` means
        every model; ``rpm`` ``None`` means no rate limit.
        """
        if not name.strip():
            raise StoreError("A gateway key needs a name, e.g. the service that uses it.")
        if rpm is not None and rpm <= 0:
            raise StoreError(f"rpm must be a positive number of requests per minute, not {rpm!r}.")
        key_id = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(12))
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        plaintext = f"{KEY_SCHEME}-{key_id}-{secret}"
        models = list(allowed_models) if allowed_models is not None else None
        with self._write() as conn:
            conn.execute(
                sa.insert(t.gateway_keys).values(
                    id=key_id,
                    name=name.strip(),
                    prefix=f"{KEY_SCHEME}-{key_id}-{secret[:4]}",
                    salt=salt,
                    key_hash=_hash_secret(salt, secret),
                    allowed_models=models,
                    rpm_limit=rpm,
                    created_at=utcnow(),
                    revoked_at=None,
                )
            )
        return key_id, plaintext

    def verify_key(self, plaintext: str) -> GatewayKey | None:
        """The active key matching ``plaintext``, or ``None`` (unknown, wrong or revoked).

        One primary-key lookup by the id embedded in the key, then a constant-time
        comparison of hashes.
        """
        parts = plaintext.strip().split("-", 2)
        if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != 12:
            return None
        key_id, secret = parts[1], parts[2]
        with self._read() as conn:
            row = (
                conn.execute(sa.select(t.gateway_keys).where(t.gateway_keys.c.id == key_id))
                .mappings()
                .first()
            )
        if row is None or row["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(_hash_secret(row["salt"], secret), row["key_hash"]):
            return None
        return self._key(row)

    def get_key(self, key_id: str) -> GatewayKey | None:
        """The key with this id (revoked or not), or ``None``."""
        with self._read() as conn:
            row = (
                conn.execute(sa.select(t.gateway_keys).where(t.gateway_keys.c.id == key_id))
                .mappings()
                .first()
            )
        return self._key(row) if row is not None else None

    def list_keys(self, *, include_revoked: bool = False) -> list[GatewayKey]:
        """Every key, oldest first."""
        query = sa.select(t.gateway_keys).order_by(t.gateway_keys.c.created_at)
        if not include_revoked:
            query = query.where(t.gateway_keys.c.revoked_at.is_(None))
        with self._read() as conn:
            return [self._key(row) for row in conn.execute(query).mappings()]

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; return ``False`` if no active key has this id."""
        keys = t.gateway_keys.c
        with self._write() as conn:
            done = conn.execute(
                sa.update(t.gateway_keys)
                .where(keys.id == key_id, keys.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            ).rowcount
        return bool(done)

    # --- audition runs and results ------------------------------------------------

    @staticmethod
    def _run(row: sa.RowMapping) -> AuditionRun:
        return AuditionRun(
            id=row["id"],
            name=row["name"],
            fingerprint=row["fingerprint"],
            config=row["config"],
            status=row["status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    def create_run(
        self, name: str, config: Mapping[str, JsonValue], fingerprint: str
    ) -> AuditionRun:
        """Start a new audition run (status ``running``)."""
        now = utcnow()
        run = AuditionRun(
            id=new_id(),
            name=name,
            fingerprint=fingerprint,
            config=dict(config),
            status="running",
            created_at=now,
            updated_at=now,
        )
        with self._write() as conn:
            conn.execute(
                sa.insert(t.audition_runs).values(
                    id=run.id,
                    name=run.name,
                    fingerprint=run.fingerprint,
                    config=run.config,
                    status=run.status,
                    created_at=now,
                    updated_at=now,
                )
            )
        return run

    def get_run(self, run_id: str) -> AuditionRun | None:
        """The run with this id, or ``None``."""
        with self._read() as conn:
            row = (
                conn.execute(sa.select(t.audition_runs).where(t.audition_runs.c.id == run_id))
                .mappings()
                .first()
            )
        return self._run(row) if row is not None else None

    def find_run(self, fingerprint: str) -> AuditionRun | None:
        """The most recent run with this fingerprint, or ``None``."""
        runs = t.audition_runs.c
        query = (
            sa.select(t.audition_runs)
            .where(runs.fingerprint == fingerprint)
            .order_by(runs.created_at.desc(), runs.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(query).mappings().first()
        return self._run(row) if row is not None else None

    def list_runs(self, limit: int | None = None) -> list[AuditionRun]:
        """Runs, newest first."""
        runs = t.audition_runs.c
        query = sa.select(t.audition_runs).order_by(runs.created_at.desc(), runs.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [self._run(row) for row in conn.execute(query).mappings()]

    def set_run_status(self, run_id: str, status: str) -> AuditionRun:
        """Change a run's status (one of ``RUN_STATUSES``); return the updated run."""
        if status not in RUN_STATUSES:
            raise StoreError(
                f"Unknown run status {status!r}; use one of {', '.join(RUN_STATUSES)}."
            )
        with self._write() as conn:
            done = conn.execute(
                sa.update(t.audition_runs)
                .where(t.audition_runs.c.id == run_id)
                .values(status=status, updated_at=utcnow())
            ).rowcount
        run = self.get_run(run_id) if done else None
        if run is None:
            raise StoreError(f"No audition run {run_id!r} in the store.")
        return run

    def save_result(self, result: AuditionResult) -> bool:
        """Store a result; return ``False`` if this (run, case, candidate) already had one.

        Idempotent: a successful result is never overwritten, so a resumed run never
        pays twice. A stored failure (``error`` set) is replaced by a later result.
        """
        return self.save_results([result]) == 1

    def save_results(self, results: Sequence[AuditionResult]) -> int:
        """Store several results in one transaction; return how many were written.

        Same rules as :meth:`save_result`, row by row (a result already stored
        successfully is kept, a stored failure is replaced). One transaction for
        the whole batch because the commit, not the insert, is what costs: a live
        runner saving each answer on its own spends its time in fsync instead of
        keeping the upstream busy. All or nothing: a bad row (unknown run) leaves
        none of the batch stored.
        """
        if not results:
            return 0
        res = t.audition_results
        keys = ("run_id", "case_id", "candidate")
        rows = [
            {
                "run_id": r.run_id,
                "case_id": r.case_id,
                "candidate": r.candidate,
                "response": r.response,
                "input_tokens": r.input_tokens,
                "output_tokens": r.output_tokens,
                "cost_usd": r.cost_usd,
                "latency_ms": r.latency_ms,
                "error": r.error,
                "scores": dict(r.scores) or None,
                "created_at": r.created_at,
            }
            for r in results
        ]
        stmt = self._insert(res)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={k: stmt.excluded[k] for k in rows[0] if k not in keys},
            where=res.c.error.is_not(None),
        ).returning(res.c.run_id)
        # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT.
        try:
            with self._write() as conn:
                return sum(conn.execute(stmt, row).first() is not None for row in rows)
        except StoreError as exc:
            if isinstance(exc.__cause__, sa.exc.IntegrityError):
                runs = ", ".join(repr(r) for r in sorted({r.run_id for r in results}))
                raise StoreError(
                    f"Cannot save results for audition run {runs}: no such run "
                    "(none of the batch was saved). Create it with create_run() first."
                ) from exc.__cause__
            raise

    def set_scores(
        self, run_id: str, case_id: str, candidate: str, scores: Mapping[str, JsonValue]
    ) -> None:
        """Merge ``scores`` into a stored result's scores."""
        res = t.audition_results.c
        key = (res.run_id == run_id, res.case_id == case_id, res.candidate == candidate)
        with self._write() as conn:
            current = conn.execute(sa.select(res.scores).where(*key)).first()
            if current is None:
                raise StoreError(
                    f"No result for case {case_id!r} and candidate {candidate!r} "
                    f"in audition run {run_id!r}; save_result() it first."
                )
            merged = {**(current.scores or {}), **scores}
            conn.execute(sa.update(t.audition_results).where(*key).values(scores=merged))

    @staticmethod
    def _result(row: sa.RowMapping) -> AuditionResult:
        return AuditionResult(
            run_id=row["run_id"],
            case_id=row["case_id"],
            candidate=row["candidate"],
            response=row["response"],
            input_tokens=row["input_tokens"],
            output_tokens=row["output_tokens"],
            cost_usd=row["cost_usd"],
            latency_ms=row["latency_ms"],
            error=row["error"],
            scores=row["scores"] or {},
            created_at=row["created_at"],
        )

    def results_for(self, run_id: str, candidate: str | None = None) -> list[AuditionResult]:
        """A run's results ordered by case id, then candidate."""
        res = t.audition_results.c
        query = (
            sa.select(t.audition_results)
            .where(res.run_id == run_id)
            .order_by(res.case_id, res.candidate)
        )
        if candidate is not None:
            query = query.where(res.candidate == candidate)
        with self._read() as conn:
            return [self._result(row) for row in conn.execute(query).mappings()]

    def completed_pairs(self, run_id: str, *, include_errors: bool = False) -> set[tuple[str, str]]:
        """The (case_id, candidate) pairs already done: skip these when resuming.

        Failed pairs are left out (so a resume retries them) unless ``include_errors``.
        """
        res = t.audition_results.c
        query = sa.select(res.case_id, res.candidate).where(res.run_id == run_id)
        if not include_errors:
            query = query.where(res.error.is_(None))
        with self._read() as conn:
            return {(str(a), str(b)) for a, b in conn.execute(query)}

    def spent_usd(self, run_id: str) -> float:
        """What a run has cost so far, in US dollars."""
        res = t.audition_results.c
        query = sa.select(sa.func.coalesce(sa.func.sum(res.cost_usd), 0.0)).where(
            res.run_id == run_id
        )
        with self._read() as conn:
            return float(conn.execute(query).scalar_one())

    # --- watch state --------------------------------------------------------------

    def get_state(self, key: str, default: JsonValue = None) -> JsonValue:
        """A value ``recast watch`` stored, or ``default``."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(t.watch_state.c.value).where(t.watch_state.c.key == key)
            ).first()
        return default if row is None else row.value

    def set_state(self, key: str, value: JsonValue) -> None:
        """Store a value under ``key``, replacing any previous one."""
        stmt = self._insert(t.watch_state).values(key=key, value=value, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        with self._write() as conn:
            conn.execute(stmt)

    # --- watch alerts: claimed before sending, so each goes out once ---------------

    def claim_alert(
        self,
        alert_key: str,
        channel: str,
        event: JsonValue,
        run_id: str,
        *,
        lease: timedelta = timedelta(minutes=15),
    ) -> bool:
        """Take the right to send ``alert_key`` on ``channel``; ``False`` if someone has it.

        One transaction: a new alert is inserted as ``claimed``; an existing one is taken
        over only when its last delivery ``failed`` or a claim older than ``lease`` was
        left by a watcher that died mid-send. A ``sent`` alert is never claimed again. Two
        watchers racing on one PostgreSQL both reach the same row: the second waits for the
        first's commit, then finds it claimed (or sent), so the alert goes out once.
        """
        now = utcnow()
        alerts = t.watch_alerts
        with self._write() as conn:
            insert = (
                self._insert(alerts)
                .values(
                    alert_key=alert_key,
                    channel=channel,
                    status="claimed",
                    event=event,
                    attempts=1,
                    claimed_by=run_id,
                    claimed_at=now,
                )
                .on_conflict_do_nothing(index_elements=["alert_key", "channel"])
                .returning(alerts.c.alert_key)
            )
            if conn.execute(insert).first() is not None:
                return True
            c = alerts.c
            taken = conn.execute(
                sa.update(alerts)
                .where(
                    c.alert_key == alert_key,
                    c.channel == channel,
                    sa.or_(
                        c.status == "failed",
                        sa.and_(c.status == "claimed", c.claimed_at < now - lease),
                    ),
                )
                .values(
                    status="claimed",
                    event=event,
                    attempts=c.attempts + 1,
                    claimed_by=run_id,
                    claimed_at=now,
                )
            ).rowcount
        return bool(taken)

    def finish_alert(
        self, alert_key: str, channel: str, run_id: str, *, error: str | None = None
    ) -> None:
        """Record how a claimed delivery ended: ``sent``, or ``failed`` with ``error``.

        Only the claim's holder (``run_id``) may finish it; a failed alert is claimed again
        by the next run, so it is retried and never marked sent before it was.
        """
        c = t.watch_alerts.c
        values: dict[str, Any] = (
            {"status": "sent", "sent_at": utcnow(), "last_error": None}
            if error is None
            else {"status": "failed", "last_error": error}
        )
        with self._write() as conn:
            conn.execute(
                sa.update(t.watch_alerts)
                .where(c.alert_key == alert_key, c.channel == channel, c.claimed_by == run_id)
                .values(**values)
            )

    @staticmethod
    def _alert(row: sa.RowMapping) -> WatchAlert:
        return WatchAlert(
            alert_key=row["alert_key"],
            channel=row["channel"],
            status=row["status"],
            event=row["event"],
            attempts=row["attempts"],
            claimed_by=row["claimed_by"],
            claimed_at=row["claimed_at"],
            sent_at=row["sent_at"],
            last_error=row["last_error"],
        )

    def list_alerts(
        self, *, channel: str | None = None, status: str | None = None
    ) -> list[WatchAlert]:
        """Alerts ordered by channel, then key; filtered by channel and status when given."""
        c = t.watch_alerts.c
        query = sa.select(t.watch_alerts).order_by(c.channel, c.alert_key)
        if channel is not None:
            query = query.where(c.channel == channel)
        if status is not None:
            query = query.where(c.status == status)
        with self._read() as conn:
            return [self._alert(row) for row in conn.execute(query).mappings()]

    # --- audition reports -----------------------------------------------------------

    def save_audition_report(
        self, baseline_model: str, report: Mapping[str, JsonValue], *, run_id: str | None = None
    ) -> AuditionReportRecord:
        """Keep a scored audition (the ``recast audition --json`` document) as evidence."""
        if not baseline_model.strip():
            raise StoreError("An audition report needs its baseline model; none was given.")
        record = AuditionReportRecord(
            id=new_id(),
            baseline_model=baseline_model,
            created_at=utcnow(),
            report=dict(report),
            run_id=run_id,
        )
        with self._write() as conn:
            conn.execute(
                sa.insert(t.audition_reports).values(
                    id=record.id,
                    baseline_model=record.baseline_model,
                    run_id=record.run_id,
                    created_at=record.created_at,
                    report=record.report,
                )
            )
        return record

    def latest_audition_report(self, baseline_model: str) -> AuditionReportRecord | None:
        """The newest report whose baseline was ``baseline_model``, or ``None``."""
        c = t.audition_reports.c
        query = (
            sa.select(t.audition_reports)
            .where(c.baseline_model == baseline_model)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return AuditionReportRecord(
            id=row["id"],
            baseline_model=row["baseline_model"],
            created_at=row["created_at"],
            report=row["report"],
            run_id=row["run_id"],
        )

    # --- traffic by model -------------------------------------------------------------

    def model_usage(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[ModelUsage]:
        """Captured traffic per (requested model, served model, platform), busiest first.

        ``since`` is inclusive and ``until`` exclusive; shadow results are left out. One
        aggregate query, so a store of millions of exchanges answers in one pass.
        """
        ex = t.exchanges.c
        where = self._exchange_filter(
            model=None, served_model=None, since=since, until=until, include_shadows=False
        )
        errors = sa.func.sum(sa.case((ex.error.is_not(None), 1), else_=0))
        query = (
            sa.select(
                ex.requested_model,
                ex.served_model,
                ex.platform,
                sa.func.count().label("requests"),
                errors.label("errors"),
                sa.func.sum(ex.input_tokens).label("input_tokens"),
                sa.func.sum(ex.output_tokens).label("output_tokens"),
                sa.func.max(ex.input_tokens).label("max_input_tokens"),
                sa.func.sum(ex.cost_usd).label("cost_usd"),
                sa.func.min(ex.captured_at).label("first_at"),
                sa.func.max(ex.captured_at).label("last_at"),
            )
            .where(*where)
            .group_by(ex.requested_model, ex.served_model, ex.platform)
        )
        with self._read() as conn:
            rows = list(conn.execute(query).mappings())
        usage = [
            ModelUsage(
                requested_model=row["requested_model"],
                served_model=row["served_model"],
                platform=row["platform"],
                requests=int(row["requests"]),
                errors=int(row["errors"] or 0),
                input_tokens=_int_or_none(row["input_tokens"]),
                output_tokens=_int_or_none(row["output_tokens"]),
                max_input_tokens=_int_or_none(row["max_input_tokens"]),
                cost_usd=float(row["cost_usd"]) if row["cost_usd"] is not None else None,
                first_at=_moment(row["first_at"]),
                last_at=_moment(row["last_at"]),
            )
            for row in rows
        ]
        usage.sort(key=lambda u: (-u.requests, u.requested_model, u.served_model or ""))
        return usage


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None else None


def _moment(value: Any) -> datetime:
    """An aggregate's timestamp: SQLite returns MIN/MAX of a DateTime column as text."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


def open_store(url: str | Path | None = None, *, redactor: Redactor | None = None) -> Store:
    """Open (creating and migrating if needed) the store at ``url``.

    ``url`` is ``sqlite:///PATH``, a plain file path, or ``postgresql://…`` (psycopg
    3); ``None`` means ``sqlite:///<recast home>/recast.db``. ``redactor`` replaces
    the default secrets-only redaction of captured exchanges.
    Raises :class:`recast.errors.StoreError` with a one-line reason when the URL is
    invalid, the server unreachable, or the file unusable.
    """
    parsed = parse_url(url)
    engine = create_engine(parsed)
    try:
        migrate(engine)
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise describe_error(parsed, exc) from exc
    except Exception:
        engine.dispose()
        raise
    return Store(engine, parsed, redactor)
