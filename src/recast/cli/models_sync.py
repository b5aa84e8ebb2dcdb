"""``recast models sync`` and ``recast models sources``: the data side of the catalog.

``cli/models.py`` calls :func:`register` to add both commands to its ``models`` group.
"""

from typing import Any

import typer

from recast.cli._common import emit_json, handle_errors

#: 2: ``coverage``; conflicts carry ``lifecycle`` and list lifecycle ones only unless --all.
SOURCES_SCHEMA_VERSION = 2


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
    partial: bool = typer.Option(
        False,
        "--partial",
        help="When some sources fail, keep the ones that synced (default: all or nothing).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the sync report as JSON."),
) -> None:
    """Refresh the lifecycle catalog into your user cache.

    With no options, reads every published source (modeldeprecations.dev, deprecations.info,
    LiteLLM, models.dev) and each provider's GET /v1/models whose key is set
    (OPENAI_API_KEY, MISTRAL_API_KEY). Each fact keeps its own source; the merge follows the
    documented precedence and the cache is written atomically.

    Offline, or given a corrupt file, it says so in one line, exits 2, and the catalog stays
    as it was.
    """
    from recast.catalog._sync import sync

    with handle_errors():
        report = sync(
            source,
            base_url=base_url,
            api_key_env=api_key_env,
            platform=platform,
            partial=partial,
        )
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
                # the day that copy of the source was current (snapshot or sync day)
                "as_of": item.get("as_of") or (item.get("synced_at") or "")[:10] or None,
            }
        )
    return rows


def _conflict_lines(conflict: Any, catalog: Any) -> list[str]:
    """One conflict: the values, each with the page its source read it from, and the reason."""
    values = ", ".join(f"{imp}={value}" for imp, value in conflict.values)
    lines = [
        f"{conflict.platform}:{conflict.platform_id} {conflict.field}: {values} -> kept "
        f"{conflict.chosen} ({conflict.reason})"
    ]
    if not conflict.is_lifecycle:
        return lines
    from recast.catalog import resolve

    offerings = [
        o
        for o in resolve(conflict.platform_id, conflict.platform, catalog=catalog)
        if o.platform_id.lower() == conflict.platform_id.lower()
    ]
    urls: dict[str, str] = {}
    for offering in offerings[:1]:
        for claim in offering.lifecycle.claims:
            if claim.source is not None:
                urls.setdefault(claim.importer, claim.source.url)
    for importer in dict.fromkeys(imp for imp, _ in conflict.values):
        if importer in urls:
            lines.append(f"    {importer}: {urls[importer]}")
    return lines


def sources_command(
    conflicts: bool = typer.Option(
        False,
        "--conflicts",
        help="List where sources disagree on a lifecycle fact: both values, both sources, "
        "the value kept and why.",
    ),
    all_: bool = typer.Option(
        False, "--all", help="With --conflicts, also list price and limit disagreements."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON document instead of text."),
) -> None:
    """List the catalog's sources (licence, location, records, when read) and how much of
    the catalog they describe: offerings with no lifecycle source read `unknown`.

    With --conflicts, list where sources disagree on lifecycle facts, the value kept and
    why (add --all for price and limit disagreements).
    """
    from recast.catalog import load_catalog
    from recast.catalog._query import coverage

    with handle_errors():
        catalog = load_catalog()
        counts = coverage(catalog)
    rows = _source_rows(catalog)
    shown = sorted(
        (c for c in catalog.conflicts if all_ or c.is_lifecycle),
        key=lambda c: (not c.is_lifecycle, c.platform, c.platform_id, c.field),
    )
    if as_json:
        document: dict[str, Any] = {
            "schema_version": SOURCES_SCHEMA_VERSION,
            "built_at": catalog.built_at,
            "sources": rows,
            "coverage": counts.to_dict(),
        }
        if conflicts:
            document["conflicts"] = [{**c.to_dict(), "lifecycle": c.is_lifecycle} for c in shown]
        emit_json(document)
        return
    if conflicts:
        for conflict in shown:
            for line in _conflict_lines(conflict, catalog):
                typer.echo(line)
        hidden = len(catalog.conflicts) - len(shown)
        more = f" ({hidden} price and limit conflicts not shown; add --all)" if hidden else ""
        typer.echo(f"{len(shown)} conflicts{more}", err=True)
        return
    typer.echo(f"catalog built {catalog.built_at}: {len(catalog.offerings)} offerings")
    for row in rows:
        where = row["url"] or row["path"]
        typer.echo(
            f"{row['source']:<22} {row['licence'] or '-':<10} {row['records']:>6} records  "
            f"{row['offerings']:>5} offerings  {row['as_of'] or 'undated':<10}  {where}"
        )
    worst = sorted(counts.by_platform.items(), key=lambda item: -item[1][1])[:5]
    typer.echo(
        f"lifecycle: {counts.with_lifecycle} offerings described by a lifecycle source, "
        f"{counts.unknown} by none (state unknown; most on "
        + ", ".join(f"{p} {u}/{n}" for p, (n, u) in worst)
        + f"); of {counts.facts} lifecycle facts, {counts.sourced_facts} name their source page "
        f"({counts.dated_facts} with the day it was read; the rest are states derived from "
        "sourced dates); "
        f"{counts.lifecycle_conflicts} lifecycle conflicts (`--conflicts`)"
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
        epilog=_example(
            "recast models sources",
            "recast models sources --conflicts",
            "recast models sources --conflicts --all --json",
        ),
    )(sources_command)
