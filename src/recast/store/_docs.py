"""Generate the schema section of ``docs/store.md`` from the migrations.

Applies every migration to a scratch SQLite database, reflects what they built, and
describes each column with the ``comment`` from ``_schema.py``. Run

    python -m recast.store._docs docs/store.md

to rewrite the section between ``<!-- schema:start -->`` and ``<!-- schema:end -->``;
a test fails when the committed docs differ from what this produces.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from recast.store import _schema
from recast.store._engine import create_engine, parse_url
from recast.store._migrations import migrate

START = "<!-- schema:start -->"
END = "<!-- schema:end -->"

_TYPES = {
    "TEXT": "text",
    "DATETIME": "timestamp (UTC)",
    "JSON": "JSON",
    "INTEGER": "integer",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
}


def schema_markdown() -> str:
    """The schema section: one table per database table, then its indexes."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(parse_url(Path(folder) / "schema.db"))
        try:
            migrate(engine)
            inspector = sa.inspect(engine)
            lines: list[str] = []
            for table in _schema.TABLES:
                lines += _describe(inspector, table)
        finally:
            engine.dispose()
    return "\n".join(lines).rstrip() + "\n"


def _describe(inspector: sa.Inspector, table: sa.Table) -> list[str]:
    lines = [f"### `{table.name}`", "", str(table.comment or ""), ""]
    lines += ["| column | type | null | description |", "|---|---|---|---|"]
    keys = set(inspector.get_pk_constraint(table.name)["constrained_columns"])
    for column in inspector.get_columns(table.name):
        name = column["name"]
        kind = _TYPES.get(str(column["type"]).split("(")[0], str(column["type"]).lower())
        if name in keys:
            kind += ", primary key"
        null = "yes" if column["nullable"] and name not in keys else "no"
        comment = table.c[name].comment if name in table.c else ""
        lines.append(f"| `{name}` | {kind} | {null} | {comment} |")
    for fk in inspector.get_foreign_keys(table.name):
        cols = ", ".join(fk["constrained_columns"])
        target = f"{fk['referred_table']}({', '.join(fk['referred_columns'])})"
        on_delete = (fk.get("options") or {}).get("ondelete")
        suffix = f" on delete {on_delete.lower()}" if on_delete else ""
        lines.append("")
        lines.append(f"Foreign key: `{cols}` → `{target}`{suffix}.")
    indexes = sorted(inspector.get_indexes(table.name), key=lambda ix: str(ix["name"]))
    if indexes:
        lines.append("")
        lines.append(
            "Indexes: "
            + "; ".join(
                f"`{ix['name']}` ({', '.join(str(c) for c in ix['column_names'])})"
                for ix in indexes
            )
            + "."
        )
    lines.append("")
    return lines


def render(doc: str) -> str:
    """``doc`` with its schema section replaced by the generated one."""
    if START not in doc or END not in doc:
        raise ValueError(f"the document has no {START} … {END} section")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{schema_markdown()}{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite the schema section of the file named in ``argv``."""
    path = Path(argv[0] if argv else "docs/store.md")
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
