"""`recast models`: the lifecycle catalog from the command line.

Thin: parse options, call ``recast.catalog``, render text, a Rich table or JSON.
Library code and Rich are imported inside the commands so ``recast`` starts fast;
``show`` prints plain styled lines and never imports Rich (it is the cold-start
benchmark, see bench/cold_start.py).
"""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer

from recast.cli._common import emit_json, fail, handle_errors, parse_date, parse_days
from recast.cli.models_show import STATE_STYLE

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from recast.catalog import Catalog, LifecycleDate, Offering, OfferingStatus, State

#: Version of every JSON document `recast models` prints; see docs/models.md.
#: 2: offerings carry ``facts`` (per-fact provenance), ``replacement`` (the live advice),
#: ``notes``, ``alias_of`` and ``conflicts``; ``state`` may be ``unknown``.
SCHEMA_VERSION = 2


def _example(*commands: str) -> str:
    """Return an ``Example:`` block for a help epilog, so every help text ends with one."""
    return "Example:\n\n" + "\n\n".join(f"    {command}" for command in commands)


app = typer.Typer(
    help=(
        "The lifecycle catalog: every model on every platform, shutdown dates, "
        "replacements with sources, prices, limits and capabilities.\n\n"
        "Works offline from the catalog bundled with recast (or the one `recast models sync` "
        "refreshed)."
    ),
    epilog=_example("recast models show gpt-4.5-preview", "recast models upcoming --within 180d"),
    no_args_is_help=True,
)

_JSON = typer.Option(False, "--json", help="Print a JSON document instead of text.")
_AS_OF = typer.Option(
    None,
    "--as-of",
    metavar="DATE",
    help="Compute states and days left as on this day (YYYY-MM-DD). Default: today.",
)
_PLATFORM = typer.Option(
    None, "--platform", "-p", help="Only this platform (openai, bedrock, vertex, ...)."
)


def _console() -> "Console":
    from rich.console import Console

    # Piped output is not cut to 80 columns: ids stay whole for grep and diff.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 250
    return Console(width=width, highlight=False, soft_wrap=False)


def _table(title: str | None = None) -> "Table":
    from rich import box
    from rich.table import Table

    return Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)


def _esc(value: str) -> str:
    """Escape catalog text so Rich never reads ``[...]`` in it as markup."""
    from rich.markup import escape

    return escape(value)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _state(state: str) -> str:
    return f"[{STATE_STYLE.get(state, 'white')}]{state}[/]"


def _date_text(value: "LifecycleDate | None") -> str:
    return str(value) if value is not None else "-"


def _days_text(days: int | None) -> str:
    if days is None:
        return "-"
    return f"{days}" if days >= 0 else f"[dim]{days}[/]"


def _replacement_text(status: "OfferingStatus") -> str:
    """The live replacement for a table cell: ``gpt-5.4-mini (via o4-mini)``, ``none alive``."""
    advice = status.advice
    if advice is None or (not advice.chain and not advice.options):
        return "-"
    if advice.ambiguous:
        ends = [o.final.model for o in advice.options if o.final is not None]
        return _esc("one of " + ", ".join(dict.fromkeys(ends))) if ends else "none alive"
    final = advice.final
    if final is None:
        return "[red]none alive[/]"
    text = final.model + (
        f" ({final.platform})" if final.platform != status.offering.platform else ""
    )
    if advice.followed and advice.named is not None:
        text += f" (via {advice.named.model})"
    if final.state == "deprecated":
        text += " (deprecated)"
    elif final.state == "unknown":
        text += " (unverified)"
    return _esc(text)


def _status_json(status: "OfferingStatus", catalog: "Catalog") -> dict[str, Any]:
    return status.to_dict(prices=catalog.prices_for(status.offering))


def _check_platform_option(platform: str | None) -> str | None:
    if platform is None:
        return None
    from recast.catalog import PLATFORMS

    name = platform.strip().lower()
    if name not in PLATFORMS:
        raise typer.BadParameter(
            f"{platform!r} is not a platform; use one of: {', '.join(PLATFORMS)}.",
            param_hint="--platform",
        )
    return name


@app.command(
    "list",
    epilog=_example(
        "recast models list --provider anthropic --status deprecated",
        "recast models list --status retired --json --as-of 2026-11-27",
    ),
)
def list_command(
    provider: str | None = typer.Option(
        None, "--provider", help="Only models of this maker (openai, anthropic, ...)."
    ),
    platform: str | None = _PLATFORM,
    status: str | None = typer.Option(
        None,
        "--status",
        help="Only offerings in this state on --as-of: active, legacy, deprecated, retired or "
        "unknown (no lifecycle source).",
    ),
    shutdown_before: str | None = typer.Option(
        None, "--shutdown-before", metavar="DATE", help="Only offerings shutting down before DATE."
    ),
    json_: bool = _JSON,
    as_of: str | None = _AS_OF,
) -> None:
    """List offerings, sorted by provider (the model's maker), model and platform."""
    day = parse_date(as_of)
    platform = _check_platform_option(platform)
    before = parse_date(shutdown_before, "--shutdown-before") if shutdown_before else None
    with handle_errors():
        from recast.catalog import STATES, list_offerings, load_catalog

        if status is not None and status not in STATES:
            raise typer.BadParameter(
                f"{status!r} is not a state; use one of: {', '.join(STATES)}.",
                param_hint="--status",
            )
        catalog = load_catalog()
        rows = list_offerings(
            provider=provider,
            platform=platform,
            status=cast("State", status),  # checked against STATES above
            shutdown_before=before,
            as_of=day,
            catalog=catalog,
        )
        if json_:
            emit_json(
                {
                    "schema_version": SCHEMA_VERSION,
                    "as_of": day.isoformat(),
                    "count": len(rows),
                    "offerings": [_status_json(r, catalog) for r in rows],
                }
            )
            return
        table = _table(f"{_count(len(rows), 'offering')} as of {day.isoformat()}")
        for column in ("model", "platform", "platform id", "state", "shutdown"):
            table.add_column(column, overflow="fold")
        table.add_column("days left", justify="right")
        table.add_column("replacement", overflow="fold")
        for row in rows:
            table.add_row(
                _esc(row.offering.model),
                row.offering.platform,
                _esc(row.offering.platform_id),
                _state(row.state),
                _date_text(row.shutdown_on),
                _days_text(row.days_left),
                _replacement_text(row),
            )
        _console().print(table)


@app.command(
    "show",
    epilog=_example(
        "recast models show gpt-4.5-preview",
        "recast models show claude-3-sonnet-20240229 --platform bedrock --json",
    ),
)
def show_command(
    model_id: str = typer.Argument(..., metavar="ID", help="A model id in any form."),
    platform: str | None = _PLATFORM,
    json_: bool = _JSON,
    as_of: str | None = _AS_OF,
) -> None:
    """Show a model: every offering with its lifecycle, replacements, prices, limits.

    ID can be any form seen in code: gpt-4-0613, anthropic.claude-3-sonnet-20240229-v1:0,
    claude-3-5-sonnet-v2@20241022, openai/gpt-4.5-preview, bedrock/us.anthropic.... An
    unknown ID exits with code 1 and the closest known ids.
    """
    day = parse_date(as_of)
    platform = _check_platform_option(platform)
    with handle_errors():
        from recast.catalog import load_catalog, resolve, status_of, suggest
        from recast.errors import UnknownModelError

        catalog = load_catalog()
        matched = resolve(model_id, platform, catalog=catalog)
        if not matched:
            raise UnknownModelError(model_id.strip(), suggest(model_id, catalog=catalog))
        matched_keys = {o.key for o in matched}
        model_ids = list(dict.fromkeys(o.model for o in matched))
        offerings: list[Offering] = []
        for mid in model_ids:
            for offering in _ordered(catalog.offerings_of(mid)):
                if platform is None or offering.platform == platform:
                    offerings.append(offering)
        statuses = [status_of(o, day, catalog=catalog) for o in offerings]
        if json_:
            docs = []
            for status in statuses:
                data = _status_json(status, catalog)
                data["matched"] = status.offering.key in matched_keys
                docs.append(data)
            emit_json(
                {
                    "schema_version": SCHEMA_VERSION,
                    "as_of": day.isoformat(),
                    "query": model_id,
                    "models": [
                        model.to_dict() if (model := catalog.model(m)) is not None else {"id": m}
                        for m in model_ids
                    ],
                    "offerings": docs,
                }
            )
            return
        from recast.cli.models_show import render_show

        typer.echo(render_show(model_ids, statuses, catalog, day))


def _ordered(offerings: "list[Offering]") -> "list[Offering]":
    from recast.catalog import platform_rank

    return sorted(
        offerings, key=lambda o: (platform_rank(o.platform), o.platform_id, o.region or "")
    )


@app.command(
    "search",
    epilog=_example("recast models search claude-3-5", 'recast models search "gpt 4 turbo" --json'),
)
def search_command(
    text: str = typer.Argument(..., help="Part of a model id, alias, name or platform id."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Show at most this many models."),
    json_: bool = _JSON,
    as_of: str | None = _AS_OF,
) -> None:
    """Find models by fuzzy match on ids, aliases, names and platform ids.

    Exact matches come first, then prefix matches, then matches on every word,
    then similar spellings.
    """
    day = parse_date(as_of)
    with handle_errors():
        from recast.catalog import load_catalog, search, status_of

        catalog = load_catalog()
        models = search(text, limit=limit, catalog=catalog)
        if json_:
            emit_json(
                {
                    "schema_version": SCHEMA_VERSION,
                    "as_of": day.isoformat(),
                    "query": text,
                    "models": [
                        {
                            **model.to_dict(),
                            "offerings": [
                                _status_json(status_of(o, day, catalog=catalog), catalog)
                                for o in _ordered(catalog.offerings_of(model.id))
                            ],
                        }
                        for model in models
                    ],
                }
            )
            return
        table = _table(_esc(f"{_count(len(models), 'model')} matching {text!r}"))
        for column in ("model", "provider", "name", "platforms (state on " + day.isoformat() + ")"):
            table.add_column(column, overflow="fold")
        for model in models:
            platforms = ", ".join(
                f"{o.platform} {_state(o.lifecycle.state_on(day))}"
                for o in _ordered(catalog.offerings_of(model.id))
            )
            table.add_row(_esc(model.id), model.provider, _esc(model.name or ""), platforms or "-")
        _console().print(table)
        if not models:
            typer.echo(f"No model matches {text!r}.", err=True)


@app.command(
    "upcoming",
    epilog=_example(
        "recast models upcoming", "recast models upcoming --within 365d --platform bedrock --json"
    ),
)
def upcoming_command(
    within: str = typer.Option(
        "90d", "--within", metavar="DURATION", help="Window: 90d, 12w, 6m (30 days each) or 1y."
    ),
    platform: str | None = _PLATFORM,
    json_: bool = _JSON,
    as_of: str | None = _AS_OF,
) -> None:
    """List offerings that stop working soon, soonest first.

    Shutdowns on --as-of itself count; past ones do not.
    """
    day = parse_date(as_of)
    days = parse_days(within)
    platform = _check_platform_option(platform)
    with handle_errors():
        from recast.catalog import load_catalog, upcoming

        catalog = load_catalog()
        rows = upcoming(days, as_of=day, platform=platform, catalog=catalog)
        if json_:
            emit_json(
                {
                    "schema_version": SCHEMA_VERSION,
                    "as_of": day.isoformat(),
                    "within_days": days,
                    "count": len(rows),
                    "offerings": [_status_json(r, catalog) for r in rows],
                }
            )
            return
        table = _table(f"{_count(len(rows), 'shutdown')} within {days} days of {day.isoformat()}")
        for column in ("shutdown", "days left", "model", "platform", "platform id", "state"):
            table.add_column(
                column,
                justify="right" if column == "days left" else "left",
                overflow="fold",
            )
        table.add_column("replacement", overflow="fold")
        for row in rows:
            table.add_row(
                _date_text(row.shutdown_on),
                _days_text(row.days_left),
                _esc(row.offering.model),
                row.offering.platform,
                _esc(row.offering.platform_id),
                _state(row.state),
                _replacement_text(row),
            )
        _console().print(table)


@app.command(
    "calendar",
    epilog=_example(
        "recast models calendar --ics shutdowns.ics",
        "recast models calendar --ics ours.ics gpt-4o-2024-05-13 o1-preview",
    ),
)
def calendar_command(
    model_ids: list[str] | None = typer.Argument(
        None, metavar="[IDS]...", help="Only these models (any id form). Default: every model."
    ),
    ics: str = typer.Option(
        ..., "--ics", metavar="FILE", help="Write the iCalendar file here ('-' for stdout)."
    ),
    platform: str | None = _PLATFORM,
    include_past: bool = typer.Option(
        False, "--include-past", help="Also add shutdowns before --as-of."
    ),
    json_: bool = _JSON,
    as_of: str | None = _AS_OF,
) -> None:
    """Write an RFC 5545 calendar with one all-day event per offering shutdown.

    Event UIDs are stable, so importing a newer file updates events in place.
    """
    day = parse_date(as_of)
    platform = _check_platform_option(platform)
    if ics == "-" and json_:
        raise typer.BadParameter("--json needs --ics FILE: with '-' the calendar is stdout.")
    with handle_errors():
        from recast.catalog import load_catalog, resolve, shutdown_calendar, suggest
        from recast.catalog._query import _latest_day
        from recast.errors import UnknownModelError

        catalog = load_catalog()
        if model_ids:
            chosen: dict[tuple[str, str, str | None], Offering] = {}
            for text in model_ids:
                found = resolve(text, platform, catalog=catalog)
                if not found:
                    raise UnknownModelError(text.strip(), suggest(text, catalog=catalog))
                for offering in found:
                    chosen.setdefault(offering.key, offering)
            pool = list(chosen.values())
        else:
            pool = [o for o in catalog.offerings if platform is None or o.platform == platform]
        events = [
            o
            for o in pool
            if o.lifecycle.shutdown_on is not None
            and (include_past or _latest_day(o.lifecycle.shutdown_on) >= day)
        ]
        text = shutdown_calendar(events, catalog=catalog, as_of=day)
        if ics == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write_atomic(Path(ics), text)
        if json_:
            from recast.catalog import status_of

            emit_json(
                {
                    "schema_version": SCHEMA_VERSION,
                    "as_of": day.isoformat(),
                    "path": None if ics == "-" else str(Path(ics)),
                    "event_count": len(events),
                    "offerings": [
                        _status_json(status_of(o, day, catalog=catalog), catalog) for o in events
                    ],
                }
            )
        elif ics != "-":
            typer.echo(f"Wrote {len(events)} shutdown events to {ics}", err=True)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    target = path.expanduser()
    if target.is_dir():
        fail(f"--ics {str(path)!r} is a folder; give a file name such as shutdowns.ics.")
    if not target.parent.exists():
        fail(f"Folder {str(target.parent)!r} does not exist; create it or choose another --ics.")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


# `sync` and `sources` are owned by the catalog-data side (recast.cli.models_sync).
from recast.cli.models_sync import register  # noqa: E402

register(app)
