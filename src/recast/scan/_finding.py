"""What a scan produces: a :class:`Finding` per model reference, gathered in a :class:`ScanResult`.

Shared by the finder (which creates findings) and the reporters (which render them).

CHANGELOG for reporters (from the scan core engineer):
- ``CODES``: the rule code of each status (``RC101`` retired-model, ``RC102`` deprecated-model,
  ``RC103`` legacy-model, ``RC104`` unknown-model, ``RC100`` active-model); ``Finding.code``
  always holds one of them.
- ``Finding`` gained optional fields: ``fix_text`` (the whole token as it would be rewritten by
  ``--fix``; ``None`` when no safe fix), ``replacements`` (every replacement named, for an
  ambiguous one), ``replacement_platform_id`` (the replacement's id on the finding's platform),
  ``platform_reason`` (how the platform was chosen: ``form``, ``hint``, ``context``, ``home``,
  ``only``, ``first``), ``fails`` (True when the finding is at or above the scan's ``--fail-on`` /
  ``--fail-within`` threshold; comments and docs never fail).
- For notebook findings ``line_text`` is the line inside the cell (as a person reads it), while
  ``line``/``column``/``end_column`` stay positions in the raw ``.ipynb`` file. ``text`` is the
  token as written, routing prefix included (``bedrock/us.anthropic…``, an ARN, ``models/…``).
- ``ScanResult`` gained ``notes`` (files read with a fallback encoding, as ``SkippedFile`` pairs
  of path and note), ``suppressed`` (count of findings silenced by ``recast: ignore``),
  ``fail_on``, ``fail_within_days`` and ``exit_code`` (0 or 1, from the thresholds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

#: ``unknown`` is an id shape the catalog could not resolve: listed, never dropped.
#: ``unverified``: the catalog knows the id but no lifecycle source describes it there.
#: ``local``: a local runtime's model (Ollama, llama.cpp, vLLM, ...): no hosted lifecycle.
Status = Literal["active", "legacy", "deprecated", "retired", "unknown", "unverified", "local"]
#: Where the text stands: a string literal in code, a config value, a comment, prose docs,
#: or data (corpora, fixtures, recorded transcripts: read, never loaded as configuration).
Context = Literal["code", "config", "comment", "docs", "data"]
#: SARIF-compatible levels; ``none`` is informational (active models).
Severity = Literal["error", "warning", "note", "none"]

#: Rule code of each status; the scan-output engineer's ``_rules.py`` documents each one.
CODES: dict[str, str] = {
    "retired": "RC101",
    "deprecated": "RC102",
    "legacy": "RC103",
    "unknown": "RC104",
    "unverified": "RC105",
    "active": "RC100",
    "local": "RC106",
}

STATUS_ORDER: dict[str, int] = {
    "retired": 4,
    "deprecated": 3,
    "legacy": 2,
    "unknown": 1,
    "unverified": 1,
    "active": 0,
    "local": 0,
}

#: Statuses that are an inventory entry, not a problem (left out of SARIF, text, GitHub).
INVENTORY: frozenset[str] = frozenset({"active", "local"})


@dataclass(frozen=True)
class PlatformCandidate:
    """One platform an ``ambiguous`` finding may be called on, with its lifecycle there."""

    platform: str
    platform_id: str | None
    status: Status
    shutdown_on: date | None = None
    days_left: int | None = None


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
    fix_text: str | None = None
    replacements: tuple[str, ...] = ()
    replacement_platform_id: str | None = None
    platform_reason: str | None = None
    fails: bool = False
    #: The replacement chain followed to ``replacement``, the named one first (empty when
    #: the named replacement is itself the live one).
    replacement_chain: tuple[str, ...] = ()
    #: Why there is no live replacement, or what to know about it (unverified, deprecated).
    replacement_note: str | None = None
    #: The live replacement's own state on the scan's day: ``active``, ``legacy``,
    #: ``deprecated`` (still answering, shutdown ahead) or ``unknown`` (no lifecycle source).
    replacement_state: str | None = None
    #: Lifecycle facts of the offering on which the sources disagree (``shutdown_on``, ...).
    lifecycle_conflicts: tuple[str, ...] = ()
    #: For ``platform == "ambiguous"``: every candidate platform; the worst fills the finding.
    platform_candidates: tuple[PlatformCandidate, ...] = ()


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
    notes: list[SkippedFile] = field(default_factory=list)
    suppressed: int = 0
    fail_on: str = "retired"
    fail_within_days: int | None = None
    #: ``--strict``: a file the scan could not read (binary, too large, unreadable,
    #: malformed) makes the exit code 2 instead of being only listed.
    strict: bool = False
    #: ``path -> source``: the findings of ``path`` are those of ``source`` (the same
    #: content, judged alike) with the path changed; renderers may reuse ``source``'s
    #: rendering. Empty unless the scan found copies.
    copies: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """2 under ``strict`` when a file was skipped; else 1 when any finding is at or above
        the thresholds (``Finding.fails``); else 0."""
        if self.strict and self.skipped:
            return 2
        return 1 if any(f.fails for f in self.findings) else 0
