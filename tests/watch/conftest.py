"""Watch fixtures: a small catalog whose dates the tests move, and a CLI runner."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.store.conftest import pg_schema_url  # noqa: F401  (a fresh PostgreSQL schema)
from typer.testing import CliRunner

from recast.catalog import (
    Catalog,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    Prices,
    Replacement,
    Source,
)

OPENAI_URL = "https://platform.openai.com/docs/deprecations"
BEDROCK_URL = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"
READ_ON = date(2026, 1, 2)


def make_catalog(
    shutdown: str | None = "2026-04-01",
    precision: str = "exact",
    deprecated: str | None = "2026-01-05",
    replacement: str = "gpt-4.1",
) -> Catalog:
    """gpt-4-0613 on openai (its dates as given, replaced by ``replacement``), gpt-4.1 and
    gpt-4.1-mini active, claude-3-sonnet on bedrock retiring 2026-07-30."""
    source = (Source(OPENAI_URL, importer="overlay", accessed_on=READ_ON),)
    old = Lifecycle(
        state="deprecated" if deprecated else "active",
        deprecated_on=LifecycleDate(date.fromisoformat(deprecated)) if deprecated else None,
        shutdown_on=(
            LifecycleDate(date.fromisoformat(shutdown), precision)  # type: ignore[arg-type]
            if shutdown
            else None
        ),
        replacements=(Replacement(replacement, recommended=True, source_url=OPENAI_URL),),
        sources=source,
    )
    active = Lifecycle(state="active", sources=source)
    sonnet = Lifecycle(
        state="deprecated",
        deprecated_on=LifecycleDate(date(2025, 1, 30)),
        shutdown_on=LifecycleDate(date(2026, 7, 30)),
        replacements=(Replacement("claude-sonnet-4-20250514", recommended=True),),
        sources=(Source(BEDROCK_URL, importer="overlay", accessed_on=READ_ON),),
    )
    models = [
        Model("gpt-4-0613", "openai", context_window=8192, prices=Prices(input=30.0, output=60.0)),
        Model("gpt-4.1", "openai", context_window=1_047_576, prices=Prices(input=2.0, output=8.0)),
        Model(
            "gpt-4.1-mini", "openai", context_window=1_047_576, prices=Prices(input=0.4, output=1.6)
        ),
        Model("claude-3-sonnet-20240229", "anthropic"),
        Model("claude-sonnet-4-20250514", "anthropic"),
    ]
    offerings = [
        Offering("gpt-4-0613", "openai", "gpt-4-0613", old),
        Offering("gpt-4.1", "openai", "gpt-4.1", active),
        Offering("gpt-4.1-mini", "openai", "gpt-4.1-mini", active),
        Offering(
            "claude-3-sonnet-20240229", "bedrock", "anthropic.claude-3-sonnet-20240229-v1:0", sonnet
        ),
        Offering(
            "claude-sonnet-4-20250514", "bedrock", "anthropic.claude-sonnet-4-20250514-v1:0", active
        ),
    ]
    return Catalog.build(models, offerings)


def write_catalog(path: Path, catalog: Catalog) -> Path:
    """Write ``catalog`` as a compiled catalog file (what ``--catalog`` reads)."""
    path.write_text(json.dumps(catalog.to_dict()), encoding="utf-8")
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
