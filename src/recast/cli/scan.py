"""`recast scan`: find every model id in a codebase, with status, days left and replacement.

Thin: parse options, call ``recast.scan.scan`` (and ``fix``), render with
``recast.scan.render``. Library code and Rich are imported inside the command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from recast.cli._common import EXIT_ERROR, EXIT_OK, fail, handle_errors, parse_date

if TYPE_CHECKING:
    from recast.scan import FixResult, ScanConfig, ScanResult

FORMATS = ("table", "text", "json", "sarif", "github", "markdown")
FAIL_ON = ("retired", "deprecated", "legacy", "unknown", "unverified")
#: Shown after the options, so `recast scan --help` ends with examples.
EPILOG = "Example:\n\n" + "\n\n".join(
    f"    {command}"
    for command in (
        "recast scan .",
        "recast scan src --format sarif --output recast.sarif --fail-on deprecated",
        "recast scan . --fix  # a dry run: prints the diff",
        "recast scan . --fix --write --replace gpt-4-0613=gpt-4.1",
        "recast scan --explain RC101",
    )
)


def scan_command(
    paths: list[Path] = typer.Argument(
        None, metavar="[PATHS]...", help="Files and folders to scan. Default: the current folder."
    ),
    fmt: str = typer.Option(
        "table",
        "--format",
        "-f",
        metavar="FORMAT",
        help="table, text, json, sarif, github or markdown.",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", metavar="DATE", help="Judge lifecycles as on this day (YYYY-MM-DD)."
    ),
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        metavar="STATUS",
        help="Exit 1 on findings at or above: retired (default), deprecated, legacy, unknown.",
    ),
    fail_within: str | None = typer.Option(
        None,
        "--fail-within",
        metavar="DURATION",
        help="Also exit 1 when a shutdown is this close (90d, 12w, 6m).",
    ),
    no_docs: bool = typer.Option(
        False, "--no-docs", help="Skip Markdown/RST prose and docstrings."
    ),
    no_comments: bool = typer.Option(False, "--no-comments", help="Skip code comments."),
    platform: str | None = typer.Option(
        None,
        "--platform",
        "-p",
        help="Platform the code calls when an id's form does not say (bedrock, vertex, ...).",
    ),
    include_vendored: bool = typer.Option(
        False, "--include-vendored", help="Also scan node_modules, .venv, vendor, dist, build, ..."
    ),
    changed_since: str | None = typer.Option(
        None, "--changed-since", metavar="GIT_REF", help="Only files changed since GIT_REF."
    ),
    do_fix: bool = typer.Option(
        False, "--fix", help="Rewrite ids to their replacement (a dry run: prints a diff)."
    ),
    write: bool = typer.Option(False, "--write", help="With --fix: apply the rewrite to files."),
    replace: list[str] = typer.Option(
        None, "--replace", metavar="OLD=NEW", help="With --fix: map OLD to NEW (repeatable)."
    ),
    explain: str | None = typer.Option(
        None, "--explain", metavar="CODE", help="Print the documentation of a rule and exit."
    ),
    include_outputs: bool = typer.Option(
        False, "--include-outputs", help="Also read notebook outputs (as data)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Exit 2 when a file cannot be read (binary, too large, ...)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List skipped files on stderr."),
    config_file: Path | None = typer.Option(
        None, "--config", metavar="FILE", help="Read options from FILE (recast.toml format)."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", min=1, help="Worker processes for large trees (default: cores)."
    ),
) -> None:
    """Find every model id in a codebase: status, shutdown date, days left, replacement.

    Reads Python, JS/TS, Go, Java/Kotlin, Ruby, C#, Rust, shell, JSON, YAML, TOML, INI, .env,
    Dockerfiles, CI files, Terraform, notebooks and Markdown/RST. Exit code: 0 clean,
    1 findings at or above --fail-on / --fail-within, 2 usage or config error.
    Settings (excludes, platform hints, thresholds): the tool.recast table of pyproject.toml,
    or recast.toml.
    """
    with handle_errors():
        if explain is not None:
            _explain(explain, fmt)
            return
        if fmt not in FORMATS:
            raise typer.BadParameter(
                f"{fmt!r} is not a format; use one of {', '.join(FORMATS)}.", param_hint="--format"
            )
        if fail_on is not None and fail_on not in FAIL_ON:
            raise typer.BadParameter(
                f"{fail_on!r} is not a status; use one of {', '.join(FAIL_ON)}.",
                param_hint="--fail-on",
            )
        if write and not do_fix:
            raise typer.BadParameter("--write only applies with --fix.", param_hint="--write")
        if replace and not do_fix:
            raise typer.BadParameter("--replace only applies with --fix.", param_hint="--replace")
        day = parse_date(as_of)
        targets = [str(p) for p in paths] if paths else ["."]
        config = _config(
            targets,
            config_file,
            fail_on=fail_on,
            fail_within=fail_within,
            no_docs=no_docs,
            no_comments=no_comments,
            platform=platform,
            include_vendored=include_vendored,
            include_outputs=include_outputs,
            strict=strict,
        )
        from recast.scan import scan

        result = scan(targets, as_of=day, config=config, changed_since=changed_since, jobs=jobs)
        if verbose:
            _report_skipped(result)
        if do_fix:
            done = _fix(result, config, replace or [], write)
            fixed = {
                (e.finding.path, e.finding.line, e.finding.column)
                for f in done.files
                for e in f.edits
            }
            left = [
                f for f in result.findings if f.fails and (f.path, f.line, f.column) not in fixed
            ]
            raise typer.Exit(1 if left or (not write and result.exit_code) else EXIT_OK)
        if fmt == "table" and output is None and sys.stdout.isatty():
            from rich.console import Console

            from recast.scan import render_table

            render_table(result, Console())
        else:
            from recast.scan import render

            _emit(render(result, fmt), output)
        if fmt not in ("table", "text") or output is not None:
            print(
                f"recast: {len(result.findings)} findings in {result.files_scanned} files "
                f"({result.bytes_scanned / 1e6:.1f} MB, {result.seconds:.2f}s)"
                + _skipped_note(result, verbose),
                file=sys.stderr,
            )
        elif result.skipped and not verbose:
            print(_skipped_note(result, verbose).strip("; "), file=sys.stderr)
        raise typer.Exit(result.exit_code)


def _config(
    targets: list[str],
    config_file: Path | None,
    *,
    fail_on: str | None,
    fail_within: str | None,
    no_docs: bool,
    no_comments: bool,
    platform: str | None,
    include_vendored: bool,
    include_outputs: bool = False,
    strict: bool = False,
) -> ScanConfig:
    from recast.scan import load_config, with_overrides
    from recast.scan._config import check_platform, parse_duration

    config = load_config(config_file, start=targets[0])
    return with_overrides(
        config,
        fail_on=fail_on,
        fail_within_days=parse_duration(fail_within, "--fail-within") if fail_within else None,
        include_docs=False if no_docs else None,
        include_comments=False if no_comments else None,
        platform=check_platform(platform, "--platform") if platform else None,
        include_vendored=True if include_vendored else None,
        include_outputs=True if include_outputs else None,
        strict=True if strict else None,
    )


def _skipped_note(result: ScanResult, verbose: bool) -> str:
    """``; 3 files skipped (--verbose lists them)`` when some could not be read."""
    if not result.skipped:
        return ""
    hint = "" if verbose else " (--verbose lists them)"
    strict = ", exit 2 under --strict" if result.strict else ""
    return f"; {len(result.skipped)} files skipped{hint}{strict}"


def _report_skipped(result: ScanResult) -> None:
    for skipped in result.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    for note in result.notes:
        print(f"note {note.path}: {note.reason}", file=sys.stderr)
    if result.suppressed:
        print(f"{result.suppressed} findings suppressed by `recast: ignore`", file=sys.stderr)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return
    from recast.scan._fix import write_atomic

    folder = output.parent
    if str(folder) and not folder.exists():
        fail(f"Folder {str(folder)!r} of --output does not exist.", EXIT_ERROR)
    write_atomic(str(output), (text if text.endswith("\n") else text + "\n").encode("utf-8"))


def _fix(result: ScanResult, config: ScanConfig, replace: list[str], write: bool) -> FixResult:
    from recast.scan import fix
    from recast.scan._config import parse_replace

    mapping = dict(config.replace)
    mapping.update(parse_replace(replace))
    done = fix(result, replace=mapping, write=write)
    if not write:
        sys.stdout.write(done.diff)
    for skipped in done.skipped:
        print(
            f"not fixed {skipped.path}:{skipped.line}:{skipped.column} {skipped.text}: "
            f"{skipped.reason}",
            file=sys.stderr,
        )
    for warning in dict.fromkeys(done.warnings):
        print(f"warning: {warning}", file=sys.stderr)
    verb = "rewrote" if write else "would rewrite"
    print(
        f"recast: {verb} {done.edit_count} ids in {len(done.files)} files"
        + ("" if write or not done.files else "; add --write to apply"),
        file=sys.stderr,
    )
    return done


def _explain(code: str, fmt: str) -> None:
    from recast.scan._rules import explain

    text = explain(code, "json" if fmt == "json" else "text")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


__all__ = ["scan_command"]
