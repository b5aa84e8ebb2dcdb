"""`recast watch`: alert once, on every configured channel, when a model in use is going away.

Thin: read the watch config, open the store, call ``recast.watch.watch``, print the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from recast.cli._common import EXIT_ERROR, emit_json, handle_errors, parse_date

#: Shown after the options, so `recast watch --help` ends with examples.
EPILOG = "Example:\n\n" + "\n\n".join(
    f"    {command}"
    for command in (
        "recast watch                       # the \\[watch] table of recast.toml",
        "recast watch --dry-run --format json",
        "recast watch --config ci/watch.toml --store postgresql://ci@db/recast --ics models.ics",
        "recast watch --model gpt-4o --model claude-3-sonnet-20240229@bedrock --as-of 2026-06-01",
    )
)


def watch_command(
    config_path: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        metavar="FILE",
        help="TOML file with \\[watch] or \\[tool.recast.watch]. Default: the nearest recast.toml "
        "or pyproject.toml that has one.",
    ),
    store: str | None = typer.Option(
        None,
        "--store",
        metavar="URL",
        help="Where sent alerts and snapshots live (default: the config's store, else SQLite "
        "in the recast home). Share a PostgreSQL URL between CI jobs.",
    ),
    model: list[str] = typer.Option(
        [], "--model", "-m", metavar="ID[@PLATFORM]", help="Also watch this model (repeat)."
    ),
    path: list[str] = typer.Option(
        [], "--path", metavar="PATH", help="Also scan this file or folder (repeat)."
    ),
    scan_json: list[str] = typer.Option(
        [], "--scan-json", metavar="FILE", help="Also read this `recast scan --format json` file."
    ),
    channel: list[str] = typer.Option(
        [], "--channel", metavar="NAME", help="Only these configured channels (repeat)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Judge lifecycles as on this day (YYYY-MM-DD)."
    ),
    catalog: Path | None = typer.Option(
        None, "--catalog", metavar="FILE", help="Use this compiled catalog file (no sync)."
    ),
    no_sync: bool = typer.Option(
        False, "--no-sync", help="Do not refresh the catalog first (use the cached or bundled one)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would be sent; send nothing, record nothing."
    ),
    ics: Path | None = typer.Option(
        None, "--ics", metavar="FILE", help="Also write the watch set's shutdowns as iCalendar."
    ),
    fmt: str = typer.Option("text", "--format", "-f", metavar="FORMAT", help="text or json."),
) -> None:
    """Check the models you use against the catalog and alert once per change and horizon.

    The watch set comes from a scan of the configured paths, the gateway's captured
    traffic and the configured models. New deprecations, moved or newly exact shutdown
    dates, new replacements, retirements and horizon crossings (90, 30, 7, 1 days) go to
    each channel once; a failed delivery is retried next run (exit 2).
    """
    if fmt not in ("text", "json"):
        raise typer.BadParameter(
            f"{fmt!r} is not a format; use text or json.", param_hint="--format"
        )
    day = parse_date(as_of)
    with handle_errors():
        from recast.catalog import load_catalog
        from recast.store import open_store
        from recast.watch import load_watch_config, watch

        config = load_watch_config(config_path, models=model, paths=path, scan_json=scan_json)
        opened = open_store(store or config.store)
        try:
            result = watch(
                config,
                store=opened,
                as_of=day,
                catalog=load_catalog(catalog) if catalog else None,
                sync=not no_sync,
                dry_run=dry_run,
                only_channels=channel,
                ics=ics,
                quiet_stdout=fmt == "json",
                progress=lambda line: typer.echo(f"recast watch: {line}", err=True),
            )
        finally:
            opened.close()
    if result.catalog_note:
        typer.echo(f"recast watch: {result.catalog_note}", err=True)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        _summary(result)
    for failure in result.failures:
        typer.echo(f"Error: {failure}", err=True)
    if result.exit_code:
        raise typer.Exit(EXIT_ERROR)


def _summary(result: object) -> None:
    from recast.watch import WatchResult

    assert isinstance(result, WatchResult)
    if result.dry_run:
        for alert in result.alerts:
            sys.stdout.write("would send: " + alert.text() + "\n")
    sent = sum(1 for d in result.deliveries if d.status == "sent")
    failed = sum(1 for d in result.deliveries if d.status == "failed")
    would = sum(1 for d in result.deliveries if d.status == "would-send")
    watched = len(result.watch_set.entries)
    parts = [f"{watched} models watched"]
    parts.append(f"{would} alerts would be sent" if result.dry_run else f"{sent} alerts sent")
    if failed:
        parts.append(f"{failed} failed (retried next run)")
    if result.ics_path:
        parts.append(f"calendar written to {result.ics_path}")
    typer.echo("recast watch: " + ", ".join(parts), err=True)
    for note in result.watch_set.unresolved:
        typer.echo(f"recast watch: {note}", err=True)


__all__ = ["watch_command"]
