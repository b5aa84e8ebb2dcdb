"""``recast models sync`` and ``recast models sources``: the data side of the catalog.

``cli/models.py`` calls :func:`register` to add both commands to its ``models`` group.
"""

from typing import Any

import typer

from recast.cli._common import emit_json, handle_errors

SOURCES_SCHEMA_VERSION = 1


def sync_command(
    source: str = typer.Option(
        None,
        "--source",
        "-s",
        metavar="NAME|URL|PATH",
        help=(
            "A named source (litellm, models.dev, modeldeprecations.dev, deprecations.info), "
            "a URL, or a local file or folder in any of those formats. "
            "Default: every named source from its published URL."
        ),
    ),
    base_url: str = typer.Option(
        None,
        "--base-url",
        metavar="URL",
        help="Read a provider's GET /v1/models (OpenAI or Mistral shape) at this base URL.",
    ),
    api_key_env: str = typer.Option(
        None,
        "--api-key-env",
        metavar="VAR",
        help="Environment variable holding the API key for --base-url.",
    ),
    platform: str = typer.Option(
        None, "--platform", help="Platform of --base-url (default: guessed from host and reply)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the sync report as JSON."),
) -> None:
    """Refresh the lifecycle catalog into your user cache.

    Merges one source with the documented precedence; writes atomically.

    Offline, or given a corrupt file, it says so and the catalog stays as it was.
    """
    from recast.catalog._sync import sync

    with handle_errors():
        report = sync(source, base_url=base_url, api_key_env=api_key_env, platform=platform)
    if as_json:
        emit_json(report.to_dict())
        return
    for part in report.sources:
        typer.echo(
            f"{part.importer}: read {part.records} records from {part.location} -> "
            f"{part.offerings} offerings ({part.new_offerings} new, "
            f"{part.changed_offerings} changed, {part.conflicts} conflicts)"
        )
    for failure in report.failures:
        typer.echo(f"warning: {failure}", err=True)
    typer.echo(f"wrote {report.cache_path} ({report.offerings_total} offerings)")


def _source_rows(catalog: Any) -> list[dict[str, Any]]:
    rows = []
    for item in catalog.provenance:
        rows.append(
            {
                "source": item.get("source", ""),
                "licence": item.get("licence", ""),
                "url": item.get("url", ""),
                "path": item.get("path", ""),
                "records": item.get("records", 0),
                "offerings": item.get("offerings", 0),
                "built_at": item.get("synced_at") or catalog.built_at,
            }
        )
    return rows


def sources_command(
    conflicts: bool = typer.Option(
        False, "--conflicts", help="List where sources disagree, the value kept and why."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document instead of text."),
) -> None:
    """List the catalog's sources: licence, location, records, when read.

    With --conflicts, list where sources disagree, the value kept and why.
    """
    from recast.catalog import load_catalog

    with handle_errors():
        catalog = load_catalog()
    rows = _source_rows(catalog)
    if as_json:
        document: dict[str, Any] = {
            "schema_version": SOURCES_SCHEMA_VERSION,
            "built_at": catalog.built_at,
            "sources": rows,
        }
        if conflicts:
            document["conflicts"] = [c.to_dict() for c in catalog.conflicts]
        emit_json(document)
        return
    if conflicts:
        for c in catalog.conflicts:
            values = ", ".join(f"{imp}={value}" for imp, value in c.values)
            typer.echo(
                f"{c.platform}:{c.platform_id} {c.field}: {values} -> kept {c.chosen} ({c.reason})"
            )
        typer.echo(f"{len(catalog.conflicts)} conflicts", err=True)
        return
    typer.echo(f"catalog built {catalog.built_at}: {len(catalog.offerings)} offerings")
    for row in rows:
        where = row["url"] or row["path"]
        typer.echo(
            f"{row['source']:<22} {row['licence'] or '-':<10} {row['records']:>6} records  "
            f"{row['offerings']:>5} offerings  {row['built_at']}  {where}"
        )


def register(app: typer.Typer) -> None:
    """Add ``sync`` and ``sources`` to the ``recast models`` group."""
    from recast.cli.models import _example

    app.command(
        "sync",
        epilog=_example(
            "recast models sync --source ../shared/data/lifecycle/litellm",
            "recast models sync --base-url https://api.openai.com/v1 --api-key-env KEY_VAR",
        ),
    )(sync_command)
    app.command(
        "sources",
        epilog=_example("recast models sources", "recast models sources --conflicts --json"),
    )(sources_command)
