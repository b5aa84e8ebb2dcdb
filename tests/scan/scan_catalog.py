"""The scan core tests' catalog: small and fixed, so statuses never move with the data.

The catalog is built with ``Catalog.build`` so statuses do not move when the bundled
data is refreshed; ``AS_OF`` is the day every test judges on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from recast.catalog import (
    Capabilities,
    Catalog,
    Lifecycle,
    LifecycleDate,
    Model,
    Offering,
    Replacement,
    Source,
)

AS_OF = date(2026, 1, 1)
OPENAI_URL = "https://platform.openai.com/docs/deprecations"
ANTHROPIC_URL = "https://docs.anthropic.com/en/docs/resources/model-deprecations"
BEDROCK_URL = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"
GOOGLE_URL = "https://ai.google.dev/gemini-api/docs/deprecations"


def _life(
    state: str = "active",
    shutdown: str | None = None,
    replacements: tuple[Replacement, ...] = (),
    url: str = OPENAI_URL,
) -> Lifecycle:
    return Lifecycle(
        state=state,  # type: ignore[arg-type]
        shutdown_on=LifecycleDate(date.fromisoformat(shutdown)) if shutdown else None,
        replacements=replacements,
        sources=(Source(url, importer="overlay"),),
    )


def _rec(model: str, url: str = OPENAI_URL) -> Replacement:
    return Replacement(model=model, recommended=True, source_url=url)


def build_catalog() -> Catalog:
    """The scan tests' catalog (see the module docstring)."""
    reasoning = Capabilities(reasoning=True)
    models = [
        Model("gpt-4-0613", "openai"),
        Model("gpt-4", "openai"),
        Model("gpt-4o", "openai"),
        Model("gpt-4.1", "openai"),
        Model("gpt-4o-mini", "openai"),
        Model("gpt-4.1-mini", "openai"),
        Model("gpt-3.5-turbo-0301", "openai"),
        Model("o1-preview", "openai", capabilities=reasoning),
        Model("o3", "openai", capabilities=reasoning),
        Model("claude-3-sonnet-20240229", "anthropic"),
        Model("claude-sonnet-4-20250514", "anthropic"),
        Model("claude-2.1", "anthropic"),
        Model("gemini-1.0-pro-002", "google"),
        Model("gemini-1.5-pro-002", "google"),
        Model("gemini-2.0-flash-001", "google"),
        Model("mistral-large-2402", "mistral"),
        Model("command-r", "cohere"),
    ]
    offerings = [
        Offering(
            "gpt-4-0613",
            "openai",
            "gpt-4-0613",
            _life("retired", "2025-06-06", (_rec("gpt-4.1"),)),
        ),
        Offering(
            "gpt-4-0613",
            "openrouter",
            "openai/gpt-4-0613",
            _life("retired", "2025-06-06", (_rec("gpt-4.1"),)),
        ),
        Offering("gpt-4", "openai", "gpt-4", _life("active")),
        Offering("gpt-4o", "openai", "gpt-4o", _life("active")),
        Offering("gpt-4o", "openrouter", "openai/gpt-4o", _life("active")),
        Offering(
            "gpt-4o",
            "azure-openai",
            "gpt-4o-2024-05-13",
            _life("deprecated", "2026-03-01", (_rec("gpt-4.1"),)),
        ),
        Offering("gpt-4.1", "openai", "gpt-4.1", _life("active")),
        Offering("gpt-4.1", "openrouter", "openai/gpt-4.1", _life("active")),
        Offering("gpt-4.1", "azure-openai", "gpt-4.1-2025-04-14", _life("active")),
        Offering("gpt-4o-mini", "openai", "gpt-4o-mini", _life("active")),
        Offering("gpt-4.1-mini", "openai", "gpt-4.1-mini", _life("active")),
        Offering(
            "gpt-3.5-turbo-0301",
            "openai",
            "gpt-3.5-turbo-0301",
            _life(
                "retired",
                "2024-09-13",
                (
                    Replacement("gpt-4o-mini", source_url=OPENAI_URL),
                    Replacement("gpt-4.1-mini", source_url=OPENAI_URL),
                ),
            ),
        ),
        Offering(
            "gpt-3.5-turbo-0301",
            "azure-openai",
            "gpt-35-turbo-0301",
            _life("retired", "2024-11-01", (_rec("gpt-4o"),)),
        ),
        Offering(
            "o1-preview", "openai", "o1-preview", _life("retired", "2025-07-28", (_rec("o3"),))
        ),
        Offering("o3", "openai", "o3", _life("active")),
        Offering(
            "claude-3-sonnet-20240229",
            "anthropic",
            "claude-3-sonnet-20240229",
            _life("retired", "2025-07-21", (_rec("claude-sonnet-4-20250514", ANTHROPIC_URL),)),
        ),
        Offering(
            "claude-3-sonnet-20240229",
            "bedrock",
            "anthropic.claude-3-sonnet-20240229-v1:0",
            _life(
                "deprecated",
                "2026-07-30",
                (_rec("claude-sonnet-4-20250514", BEDROCK_URL),),
                BEDROCK_URL,
            ),
        ),
        Offering(
            "claude-3-sonnet-20240229",
            "vertex",
            "claude-3-sonnet@20240229",
            _life("retired", "2025-08-01", (_rec("claude-sonnet-4-20250514"),)),
        ),
        Offering(
            "claude-sonnet-4-20250514",
            "anthropic",
            "claude-sonnet-4-20250514",
            _life("active", url=ANTHROPIC_URL),
        ),
        Offering(
            "claude-sonnet-4-20250514",
            "bedrock",
            "anthropic.claude-sonnet-4-20250514-v1:0",
            _life("active", url=BEDROCK_URL),
        ),
        Offering(
            "claude-sonnet-4-20250514",
            "vertex",
            "claude-sonnet-4@20250514",
            _life("active"),
        ),
        Offering(
            "claude-2.1",
            "anthropic",
            "claude-2.1",
            _life(
                "retired",
                "2025-07-21",
                (
                    Replacement("claude-sonnet-4-20250514", source_url=ANTHROPIC_URL),
                    Replacement("claude-3-sonnet-20240229", source_url=ANTHROPIC_URL),
                ),
                ANTHROPIC_URL,
            ),
        ),
        Offering(
            "gemini-1.0-pro-002",
            "gemini-api",
            "gemini-1.0-pro-002",
            _life("retired", "2025-04-09", (_rec("gemini-2.0-flash-001", GOOGLE_URL),), GOOGLE_URL),
        ),
        Offering(
            "gemini-1.0-pro-002",
            "vertex",
            "gemini-1.0-pro-002",
            _life("retired", "2025-04-09", (_rec("gemini-2.0-flash-001", GOOGLE_URL),), GOOGLE_URL),
        ),
        Offering(
            "gemini-1.5-pro-002",
            "gemini-api",
            "gemini-1.5-pro-002",
            _life("retired", "2025-09-24", (_rec("gemini-2.0-flash-001", GOOGLE_URL),), GOOGLE_URL),
        ),
        Offering(
            "gemini-1.5-pro-002",
            "vertex",
            "gemini-1.5-pro-002",
            _life(
                "deprecated", "2026-09-24", (_rec("gemini-2.0-flash-001", GOOGLE_URL),), GOOGLE_URL
            ),
        ),
        Offering(
            "gemini-2.0-flash-001", "gemini-api", "gemini-2.0-flash-001", _life(url=GOOGLE_URL)
        ),
        Offering("gemini-2.0-flash-001", "vertex", "gemini-2.0-flash-001", _life(url=GOOGLE_URL)),
        Offering("mistral-large-2402", "mistral", "mistral-large-2402", _life("legacy")),
        Offering("command-r", "cohere", "command-r", _life("active")),
    ]
    return Catalog.build(models, offerings)


TreeWriter = Callable[[dict[str, str | bytes]], Path]
