"""What a scan produces: one :class:`Finding` per model reference, gathered in a :class:`ScanResult`.

Shared by the finder (which creates findings) and the reporters (which render them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

#: ``unknown`` is an id shape the catalog could not resolve: listed, never dropped.
Status = Literal["active", "legacy", "deprecated", "retired", "unknown"]
#: Where the text stands: a string literal in code, a config value, a comment, or prose docs.
Context = Literal["code", "config", "comment", "docs"]
#: SARIF-compatible levels; ``none`` is informational (active models).
Severity = Literal["error", "warning", "note", "none"]

STATUS_ORDER: dict[str, int] = {
    "retired": 4,
    "deprecated": 3,
    "legacy": 2,
    "unknown": 1,
    "active": 0,
}


@dataclass(frozen=True)
class Finding:
    """One model id found in one file.

    ``line`` and ``column`` are 1-based and count characters (not bytes) in the
    raw file; ``end_column`` is exclusive. For Jupyter notebooks ``cell`` (0-based
    index) and ``cell_line`` (1-based, inside the cell source) say where the id is
    in the notebook as a person sees it.
    """

    path: str
    line: int
    column: int
    end_column: int
    text: str
    status: Status
    context: Context
    severity: Severity
    code: str
    provider: str | None = None
    platform: str | None = None
    model: str | None = None
    platform_id: str | None = None
    shutdown_on: date | None = None
    shutdown_precision: str | None = None
    days_left: int | None = None
    replacement: str | None = None
    replacement_source: str | None = None
    replacement_ambiguous: bool = False
    lifecycle_source: str | None = None
    cell: int | None = None
    cell_line: int | None = None
    line_text: str = ""


@dataclass(frozen=True)
class SkippedFile:
    """A file the scan could not read, with the reason (shown with ``--verbose``)."""

    path: str
    reason: str


@dataclass
class ScanResult:
    """Every finding of one scan, sorted by path, line, column."""

    root: str
    as_of: date
    findings: list[Finding] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0
    seconds: float = 0.0
