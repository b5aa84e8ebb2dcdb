"""What every command shares: error handling, dates, durations and JSON output."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, NoReturn

import typer

#: Exit codes (see docs/cli.md): 0 success, 1 something to act on, 2 usage or runtime error.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

_DURATION = re.compile(r"^\s*(\d+)\s*([dwmy]?)\s*$", re.IGNORECASE)
_DURATION_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}

_debug = False


def set_debug(value: bool) -> None:
    """Show tracebacks for expected errors (``--debug``)."""
    global _debug
    _debug = value


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print ``Error: message`` to stderr and exit with ``code``."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn :class:`recast.errors.RecastError` into a one-line message and exit code 2."""
    from recast.errors import RecastError, UnknownModelError

    try:
        yield
    except UnknownModelError as exc:
        if _debug:
            raise
        fail(str(exc), EXIT_FINDINGS)
    except RecastError as exc:
        if _debug:
            raise
        fail(str(exc))


def parse_date(value: str | None, option: str = "--as-of") -> date:
    """Parse ``YYYY-MM-DD`` (or ``today``); ``None`` means today."""
    if value is None or value.lower() == "today":
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-27.", param_hint=option
        ) from None


def parse_days(value: str, option: str = "--within") -> int:
    """Parse a duration such as ``90d``, ``12w``, ``6m`` (30 days) or ``1y`` into days."""
    match = _DURATION.match(value)
    if not match:
        raise typer.BadParameter(
            f"{value!r} is not a duration; use e.g. 90d, 12w, 6m or 1y.", param_hint=option
        )
    return int(match.group(1)) * _DURATION_DAYS[match.group(2).lower()]


def emit_json(document: dict[str, Any]) -> None:
    """Write a JSON document to stdout; it must already carry ``schema_version``."""
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
