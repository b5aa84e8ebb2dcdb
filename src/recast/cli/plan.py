"""`recast plan`: the migration plan of each watched model that is going away.

Thin: read the watch config, open the store, call ``recast.plan.build_plan``, render.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from recast.cli._common import EXIT_FINDINGS, fail, handle_errors, parse_date

#: Shown after the options, so `recast plan --help` ends with examples.
EPILOG = "Example:\n\n" + "\n\n".join(
    f"    {command}"
    for command in (
        "recast plan                                  # Markdown on stdout",
        "recast plan --format html --output plan.html",
        "recast plan --format json --store postgresql://gw@db/recast --as-of 2026-06-01",
        "recast plan --model gpt-4-0613 --path src",
    )
)


def plan_command(
    config_path: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        metavar="FILE",
        help="TOML file with \\[watch] or \\[tool.recast.watch]. Default: the nearest recast.toml "
        "or pyproject.toml that has one.",
    ),
    store: str | None = typer.Option(
        None, "--store", metavar="URL", help="Store with captured traffic and auditions."
    ),
    model: list[str] = typer.Option(
        [], "--model", "-m", metavar="ID[@PLATFORM]", help="Also plan for this model (repeat)."
    ),
    path: list[str] = typer.Option(
        [], "--path", metavar="PATH", help="Also scan this file or folder (repeat)."
    ),
    scan_json: list[str] = typer.Option(
        [], "--scan-json", metavar="FILE", help="Also read this `recast scan --format json` file."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Judge lifecycles as on this day (YYYY-MM-DD)."
    ),
    catalog: Path | None = typer.Option(
        None, "--catalog", metavar="FILE", help="Use this compiled catalog file."
    ),
    sync: bool = typer.Option(False, "--sync", help="Refresh the catalog first."),
    fmt: str = typer.Option(
        "markdown", "--format", "-f", metavar="FORMAT", help="markdown, html or json."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the plan to FILE instead of stdout."
    ),
) -> None:
    """Write the migration plan for every watched model that is deprecated, retired or
    within a horizon of its shutdown.

    Each plan shows where the model is used, its traffic and spend, the deadline on each
    platform with its source, the live replacement, the audition evidence (or the command
    to get it), the request changes and a checklist. Exit 1 when a model is retired or
    within a horizon, for CI.
    """
    from recast.plan import FORMATS

    if fmt not in FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not a format; use {', '.join(FORMATS)}.", param_hint="--format"
        )
    day = parse_date(as_of)
    with handle_errors():
        from recast.catalog import load_catalog
        from recast.plan import build_plan, render
        from recast.store import open_store
        from recast.watch import load_watch_config

        config = load_watch_config(config_path, models=model, paths=path, scan_json=scan_json)
        opened = open_store(store or config.store)
        try:
            plan = build_plan(
                config,
                store=opened,
                as_of=day,
                catalog=load_catalog(catalog) if catalog else None,
                sync=sync,
                progress=lambda line: typer.echo(f"recast plan: {line}", err=True),
            )
        finally:
            opened.close()
        text = render(plan, fmt)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_atomic(output, text)
        typer.echo(f"recast plan: {len(plan.items)} models, written to {output}", err=True)
    if plan.exit_code:
        raise typer.Exit(EXIT_FINDINGS)


def _write_atomic(path: Path, text: str) -> None:
    target = path.expanduser()
    if target.is_dir():
        fail(f"--output {str(path)!r} is a folder; give a file name such as plan.md.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


__all__ = ["plan_command"]
