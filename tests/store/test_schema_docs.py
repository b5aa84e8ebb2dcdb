"""The schema: migrations build exactly what the code queries, and the docs describe it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from recast.store import Store
from recast.store import _schema as schema
from recast.store._docs import END, START, render, schema_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "store.md"


def test_migrated_database_matches_the_runtime_tables(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    assert set(inspector.get_table_names()) == {table.name for table in schema.TABLES}
    for table in schema.TABLES:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert list(columns) == [c.name for c in table.columns], table.name
        for column in table.columns:
            nullable = columns[column.name]["nullable"] and not column.primary_key
            assert bool(nullable) == bool(column.nullable and not column.primary_key), (
                f"{table.name}.{column.name}"
            )
        primary = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert sorted(primary) == sorted(c.name for c in table.primary_key.columns)


def test_every_column_has_a_description() -> None:
    for table in schema.TABLES:
        assert table.comment, table.name
        for column in table.columns:
            assert column.comment, f"{table.name}.{column.name}"


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.name)
def test_docs_mention_every_table_and_column(table: sa.Table) -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert f"### `{table.name}`" in text
    for column in table.columns:
        assert f"| `{column.name}` |" in text.split(f"### `{table.name}`", 1)[1]


def test_docs_schema_section_is_up_to_date() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert START in text and END in text
    assert render(text) == text, (
        "docs/store.md is stale: run `python -m recast.store._docs docs/store.md`"
    )
    assert schema_markdown() in text
