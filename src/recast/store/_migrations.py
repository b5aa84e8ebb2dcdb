"""Schema migrations: an ordered list of functions, each run once per database.

Rules (see STYLE.md §1):

* A shipped migration is never edited; a fix is a new migration appended at the end.
* Each migration builds its own tables (SQLAlchemy Core DDL, so the same code emits
  valid SQL for SQLite and PostgreSQL); it never uses the runtime tables in
  ``_schema.py``, which describe only the latest schema.
* Applied names are recorded in ``_recast_migrations``. Pending migrations run when
  a store opens, all in one transaction, under a lock: ``pg_advisory_xact_lock`` on
  PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite. Several gateway replicas opening the
  same database at once therefore migrate it exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

log = logging.getLogger("recast.store")

Migration = Callable[[sa.Connection], None]

MIGRATIONS: list[Migration] = []

#: Key of the PostgreSQL advisory lock taken while migrating ("recast" + 1).
ADVISORY_LOCK_KEY = 0x7265636173740001


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration."""
    MIGRATIONS.append(fn)
    return fn


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


@migration
def m001_exchanges(db: sa.Connection) -> None:
    meta = sa.MetaData()
    table = sa.Table(
        "exchanges",
        meta,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("captured_at", _ts(), nullable=False),
        sa.Column("requested_model", sa.Text, nullable=False),
        sa.Column("served_model", sa.Text),
        sa.Column("platform", sa.Text),
        sa.Column("upstream", sa.Text),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("route_detail", _json()),
        sa.Column("endpoint", sa.Text, nullable=False),
        sa.Column("request_json", _json(), nullable=False),
        sa.Column("response_json", _json()),
        sa.Column("status_code", sa.Integer),
        sa.Column("stream", sa.Boolean, nullable=False),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cached_tokens", sa.Integer),
        sa.Column("latency_ms", sa.Float),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("cost_usd", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("key_id", sa.Text),
        sa.Column("shadow_of", sa.Text),
        sa.Column("tags", _json()),
        sa.Index("ix_exchanges_captured_at", "captured_at"),
        sa.Index("ix_exchanges_requested_model", "requested_model", "captured_at"),
        sa.Index("ix_exchanges_served_model", "served_model", "captured_at"),
        sa.Index("ix_exchanges_shadow_of", "shadow_of"),
    )
    table.create(db)


@migration
def m002_gateway_keys(db: sa.Connection) -> None:
    meta = sa.MetaData()
    table = sa.Table(
        "gateway_keys",
        meta,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("prefix", sa.Text, nullable=False),
        sa.Column("salt", sa.Text, nullable=False),
        sa.Column("key_hash", sa.Text, nullable=False),
        sa.Column("allowed_models", _json()),
        sa.Column("rpm_limit", sa.Integer),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("revoked_at", _ts()),
    )
    table.create(db)


@migration
def m003_auditions(db: sa.Connection) -> None:
    meta = sa.MetaData()
    runs = sa.Table(
        "audition_runs",
        meta,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("config", _json(), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.Index("ix_audition_runs_fingerprint", "fingerprint", "created_at"),
    )
    results = sa.Table(
        "audition_results",
        meta,
        sa.Column(
            "run_id",
            sa.Text,
            sa.ForeignKey("audition_runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("candidate", sa.Text, primary_key=True),
        sa.Column("response", _json()),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("latency_ms", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("scores", _json()),
        sa.Column("created_at", _ts(), nullable=False),
    )
    runs.create(db)
    results.create(db)


@migration
def m004_watch_state(db: sa.Connection) -> None:
    meta = sa.MetaData()
    table = sa.Table(
        "watch_state",
        meta,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", _json()),
        sa.Column("updated_at", _ts(), nullable=False),
    )
    table.create(db)


@migration
def m005_raw_streams(db: sa.Connection) -> None:
    """Streams stored as relayed (assembled on read); shadow index only on shadow rows."""
    db.execute(sa.text("ALTER TABLE exchanges ADD COLUMN response_stream TEXT"))
    db.execute(sa.text("DROP INDEX ix_exchanges_shadow_of"))
    db.execute(
        sa.text(
            "CREATE INDEX ix_exchanges_shadow_of ON exchanges (shadow_of) "
            "WHERE shadow_of IS NOT NULL"
        )
    )


@migration
def m006_watch_alerts(db: sa.Connection) -> None:
    """One row per (alert, channel): the claim that makes every alert go out once."""
    meta = sa.MetaData()
    table = sa.Table(
        "watch_alerts",
        meta,
        sa.Column("alert_key", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("event", _json()),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_by", sa.Text),
        sa.Column("claimed_at", _ts()),
        sa.Column("sent_at", _ts()),
        sa.Column("last_error", sa.Text),
        sa.Index("ix_watch_alerts_channel_status", "channel", "status"),
    )
    table.create(db)


@migration
def m007_audition_reports(db: sa.Connection) -> None:
    """Each audition's scored report, so `recast plan` can show the evidence later."""
    meta = sa.MetaData()
    table = sa.Table(
        "audition_reports",
        meta,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("baseline_model", sa.Text, nullable=False),
        sa.Column("run_id", sa.Text),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("report", _json(), nullable=False),
        sa.Index("ix_audition_reports_baseline", "baseline_model", "created_at"),
    )
    table.create(db)


# --- the runner ----------------------------------------------------------------

_record = sa.Table(
    "_recast_migrations",
    sa.MetaData(),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("applied_at", _ts(), nullable=False),
)


def _applied(db: sa.Connection) -> set[str]:
    if not sa.inspect(db).has_table("_recast_migrations"):
        return set()
    return {str(name) for name in db.execute(sa.select(_record.c.name)).scalars()}


def pending(db: sa.Connection) -> list[str]:
    """Names of the migrations not yet applied to this database, in order."""
    done = _applied(db)
    return [fn.__name__ for fn in MIGRATIONS if fn.__name__ not in done]


def migrate(engine: sa.Engine) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date).

    Safe to call from several processes at once: the first takes the lock and
    migrates, the others wait, then find nothing to do.
    """
    with engine.connect() as db:
        if not pending(db):
            return []
        db.rollback()
    with engine.connect().execution_options(recast_write=True) as db, db.begin():
        if db.dialect.name == "postgresql":
            db.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        _record.create(db, checkfirst=True)
        done = _applied(db)
        unknown = done - {fn.__name__ for fn in MIGRATIONS}
        if unknown:
            log.warning(
                "store has migrations this recast does not know (%s): a newer recast wrote it",
                ", ".join(sorted(unknown)),
            )
        ran: list[str] = []
        for fn in MIGRATIONS:
            if fn.__name__ in done:
                continue
            fn(db)
            db.execute(
                sa.insert(_record).values(name=fn.__name__, applied_at=datetime.now(timezone.utc))
            )
            ran.append(fn.__name__)
        if ran:
            log.info("store migrated: %s", ", ".join(ran))
        return ran
