"""Render a :class:`ScanResult` for people and machines: table, text, JSON, SARIF, GitHub, Markdown.

Every format gets the same findings in the same order (:func:`sorted_findings`: path, line,
column, end column, text). Active-model findings (``RC100``) are an inventory, not a
problem: the ``table``, ``json`` and ``markdown`` formats show them, ``text``, ``sarif``
and ``github`` leave them out unless ``show_active=True``.

The JSON schema (``schema_version`` :data:`JSON_SCHEMA_VERSION`) is documented in
``docs/scan.md``; adding keys is fine, renaming or removing one bumps the version.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from recast.scan._finding import INVENTORY, STATUS_ORDER, Finding, ScanResult
from recast.scan._rules import RULES, Rule, rule_for

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

#: Version of the ``--format json`` document. Bump when a key is renamed or removed.
#: 2: ``replacement`` is the live replacement (the end of the chain that still works, was
#: the named one); status ``unverified`` and ``local``; context ``data``.
JSON_SCHEMA_VERSION = 2

#: Every format :func:`render` knows.
FORMATS: tuple[str, ...] = ("table", "text", "json", "sarif", "github", "markdown")

#: Formats that list active models unless told otherwise.
_SHOW_ACTIVE_BY_DEFAULT = frozenset({"table", "json", "markdown"})

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/recast-dev/recast"

#: Statuses from worst to best, for summaries and table order.
STATUS_RANK: dict[str, int] = {
    "retired": 0,
    "deprecated": 1,
    "legacy": 2,
    "unknown": 3,
    "unverified": 4,
    "active": 5,
    "local": 6,
}

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice", "none": "notice"}


def _version() -> str:
    # The parent package is always loaded before this module; reading it from sys.modules
    # keeps scan's imports to catalog and scan (tests/test_boundaries.py).
    version = getattr(sys.modules["recast"], "__version__", "0")
    return str(version)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Sort findings by path, line, column, end column, then text (the order of every format)."""
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.end_column, f.text))


def _visible(result: ScanResult, show_active: bool) -> list[Finding]:
    findings = (
        result.findings
        if show_active
        else [f for f in result.findings if f.status not in INVENTORY]
    )
    return sorted_findings(findings)


@functools.lru_cache(maxsize=4096)
def _posix(path: str, root: str = "") -> str:
    """A finding's path relative to the scan root, with forward slashes and no ``./``.

    Cached: a file's findings share its path, and the ``Path`` parse cost 14 µs a finding
    (0.7 s of crewAI's 51,000)."""
    text = path.replace("\\", "/")
    if root and Path(text).is_absolute():
        with contextlib.suppress(ValueError):
            text = Path(text).relative_to(Path(root)).as_posix()
    while text.startswith("./"):
        text = text[2:]
    return text


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    counts: Counter[str] = Counter(f.status for f in findings)
    return {status: counts.get(status, 0) for status in STATUS_RANK}


def _n(count: int, word: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _summary_phrase(findings: Sequence[Finding]) -> str:
    counts = _counts(findings)
    parts = [
        f"{counts[s]} {s}"
        for s in ("retired", "deprecated", "legacy", "unknown", "unverified")
        if counts[s]
    ]
    return ", ".join(parts)


# --------------------------------------------------------------------------- JSON


def finding_dict(finding: Finding, root: str = "") -> dict[str, Any]:
    """One finding as JSON-ready data (the ``findings[]`` entries of ``--format json``)."""
    rule = rule_for(finding)
    return {
        "path": _posix(finding.path, root),
        "line": finding.line,
        "column": finding.column,
        "end_column": finding.end_column,
        "cell": finding.cell,
        "cell_line": finding.cell_line,
        "text": finding.text,
        "provider": finding.provider,
        "platform": finding.platform,
        "platform_id": finding.platform_id,
        "platform_reason": finding.platform_reason,
        "platform_candidates": [
            {
                "platform": c.platform,
                "platform_id": c.platform_id,
                "status": c.status,
                "shutdown_on": _iso(c.shutdown_on),
                "days_left": c.days_left,
            }
            for c in finding.platform_candidates
        ],
        "model": finding.model,
        "status": finding.status,
        "shutdown_on": _iso(finding.shutdown_on),
        "shutdown_precision": finding.shutdown_precision,
        "days_left": finding.days_left,
        "replacement": finding.replacement,
        "replacement_platform_id": finding.replacement_platform_id,
        "replacement_source": finding.replacement_source,
        "replacements": list(finding.replacements),
        "replacement_ambiguous": finding.replacement_ambiguous,
        "replacement_chain": list(finding.replacement_chain),
        "replacement_state": finding.replacement_state,
        "replacement_note": finding.replacement_note,
        "lifecycle_source": finding.lifecycle_source,
        "lifecycle_conflicts": list(finding.lifecycle_conflicts),
        "context": finding.context,
        "severity": finding.severity,
        "code": rule.code,
        "rule": rule.name,
        "message": rule.message(finding),
        "fix_title": rule.fix_title(finding),
        "fix_text": finding.fix_text,
        "fails": finding.fails,
        "url": rule.url(),
    }


def result_dict(result: ScanResult, *, show_active: bool = True) -> dict[str, Any]:
    """The whole scan as JSON-ready data (``--format json``)."""
    findings = _visible(result, show_active)
    return _document(result, findings, [finding_dict(f, result.root) for f in findings])


def _document(
    result: ScanResult, findings: Sequence[Finding], entries: list[dict[str, Any]]
) -> dict[str, Any]:
    models = {(f.model or f.text) for f in findings}
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "recast", "version": _version()},
        "root": result.root,
        "as_of": result.as_of.isoformat(),
        "fail_on": result.fail_on,
        "fail_within_days": result.fail_within_days,
        "exit_code": result.exit_code,
        "summary": {
            "files_scanned": result.files_scanned,
            "bytes_scanned": result.bytes_scanned,
            "seconds": round(result.seconds, 3),
            "findings": len(findings),
            "models": len(models),
            "failing": sum(1 for f in findings if f.fails),
            "suppressed": result.suppressed,
            "skipped": len(result.skipped),
            "by_status": _counts(findings),
            "by_context": {
                context: sum(1 for f in findings if f.context == context)
                for context in ("code", "config", "comment", "docs")
            },
        },
        "findings": entries,
        "skipped": [
            {"path": _posix(s.path, result.root), "reason": s.reason}
            for s in sorted(result.skipped, key=lambda s: s.path)
        ],
        "notes": [
            {"path": _posix(s.path, result.root), "note": s.reason}
            for s in sorted(result.notes, key=lambda s: s.path)
        ],
    }


def _render_json(result: ScanResult, show_active: bool) -> str:
    """The document indented, each finding on one line of its own.

    ``json.dumps(indent=2)`` runs the pure-Python encoder: crewAI's 51,000 findings took
    1.3 s, 40 lines each. One line per finding goes through the C encoder, and a finding
    stays one line for ``grep``."""
    findings = _visible(result, show_active)
    text = json.dumps(_document(result, findings, []), indent=2, ensure_ascii=False)
    if findings:
        lines = ",".join("\n    " + line for line in _finding_lines(findings, result))
        text = text.replace('\n  "findings": [],', f'\n  "findings": [{lines}\n  ],', 1)
    return text + "\n"


_LINE: Any = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, json.encoder.encode_basestring, None, ": ", ", ", False, False, True
)
_encode_str: Any = json.encoder.encode_basestring


def _finding_lines(findings: Sequence[Finding], result: ScanResult) -> list[str]:
    """One JSON line per finding, in order. A file in ``result.copies`` (a copy of another
    file's content, judged alike) reuses that file's lines with its own path: of crewAI's
    51,471 lines 15,547 are written, the rest copied (0.84 s -> 0.50 s)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    done: dict[str, list[str]] = {}

    def lines_of(path: str) -> list[str]:
        lines = done.get(path)
        if lines is None:
            group = by_path[path]
            source = result.copies.get(path)
            if source is not None and len(by_path.get(source, ())) == len(group):
                old = len(_path_head(source, result.root))
                new = _path_head(path, result.root)
                lines = [new + line[old:] for line in lines_of(source)]
            else:
                lines = ["".join(_LINE(finding_dict(f, result.root), 0)) for f in group]
            done[path] = lines
        return lines

    return [line for path in by_path for line in lines_of(path)]


def _path_head(path: str, root: str) -> str:
    """How a finding's JSON line starts (``finding_dict`` puts ``path`` first)."""
    return '{"path": ' + str(_encode_str(_posix(path, root)))


# --------------------------------------------------------------------------- SARIF


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    what = rule.section("What it does")
    help_text = rule.doc()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(what.split())},
        "help": {"text": help_text, "markdown": help_text},
        "helpUri": rule.url(),
        "defaultConfiguration": {"level": rule.level if rule.level != "none" else "note"},
        "properties": {
            "tags": ["llm", "model-lifecycle", "deprecation"],
            "precision": "very-high" if rule.code != "RC104" else "medium",
            "problem.severity": {"error": "error", "warning": "warning"}.get(
                rule.level, "recommendation"
            ),
        },
    }


def _fingerprint(finding: Finding, path: str, occurrence: int) -> str:
    """Stable across line moves: the path, the id, its line's text and which occurrence it is."""
    key = "\0".join((path, finding.text, finding.line_text.strip(), str(occurrence)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _region(finding: Finding) -> dict[str, Any]:
    region: dict[str, Any] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.line,
        "endColumn": finding.end_column,
    }
    if finding.line_text:
        region["snippet"] = {"text": finding.line_text}
    return region


def _sarif_result(
    finding: Finding, rule_index: dict[str, int], root: str, occurrence: int
) -> dict[str, Any]:
    rule = rule_for(finding)
    path = _posix(finding.path, root)
    uri = quote(path, safe="/")
    message = rule.message(finding)
    help_line = rule.fix_title(finding)
    text = f"{message}. {help_line}." if help_line else f"{message}."
    artifact = {"uri": uri, "uriBaseId": "%SRCROOT%"}
    region = _region(finding)
    out: dict[str, Any] = {
        "ruleId": rule.code,
        "ruleIndex": rule_index[rule.code],
        "level": finding.severity,
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
        "partialFingerprints": {"recastFinding/v1": _fingerprint(finding, path, occurrence)},
        "properties": {
            key: value
            for key, value in {
                "model": finding.model,
                "platform": finding.platform,
                "status": finding.status,
                "context": finding.context,
                "shutdown_on": _iso(finding.shutdown_on),
                "days_left": finding.days_left,
                "replacement": finding.replacement,
                "replacement_source": finding.replacement_source,
                "cell": finding.cell,
                "cell_line": finding.cell_line,
            }.items()
            if value is not None
        },
    }
    if finding.fix_text is not None and help_line:
        out["fixes"] = [
            {
                "description": {"text": help_line},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact,
                        "replacements": [
                            {
                                "deletedRegion": {
                                    "startLine": finding.line,
                                    "startColumn": finding.column,
                                    "endColumn": finding.end_column,
                                },
                                "insertedContent": {"text": finding.fix_text},
                            }
                        ],
                    }
                ],
            }
        ]
    return out


def sarif_dict(result: ScanResult, *, show_active: bool = False) -> dict[str, Any]:
    """The scan as a SARIF 2.1.0 log (``--format sarif``), ready for GitHub code scanning."""
    rules = list(RULES.values())
    rule_index = {rule.code: i for i, rule in enumerate(rules)}
    seen: Counter[tuple[str, str, str]] = Counter()
    results = []
    for finding in _visible(result, show_active):
        path = _posix(finding.path, result.root)
        key = (path, finding.text, finding.line_text.strip())
        results.append(_sarif_result(finding, rule_index, result.root, seen[key]))
        seen[key] += 1
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "recast",
                "informationUri": INFORMATION_URI,
                "version": _version(),
                "rules": [_sarif_rule(rule) for rule in rules],
            }
        },
        "automationDetails": {"id": "recast-scan/"},
        "columnKind": "unicodeCodePoints",
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "message": {"text": f"Skipped: {skipped.reason}"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {
                                        "uri": quote(_posix(skipped.path, result.root), safe="/"),
                                        "uriBaseId": "%SRCROOT%",
                                    }
                                }
                            }
                        ],
                    }
                    for skipped in sorted(result.skipped, key=lambda s: s.path)
                ],
            }
        ],
        "results": results,
        "properties": {"as_of": result.as_of.isoformat()},
    }
    if result.root and Path(result.root).is_absolute():
        run["originalUriBaseIds"] = {
            "%SRCROOT%": {"uri": Path(result.root).as_uri().rstrip("/") + "/"}
        }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _render_sarif(result: ScanResult, show_active: bool) -> str:
    return (
        json.dumps(sarif_dict(result, show_active=show_active), indent=2, ensure_ascii=False) + "\n"
    )


# --------------------------------------------------------------------------- GitHub


def escape_data(text: str) -> str:
    """Escape a workflow command's message: ``%``, ``\\r`` and ``\\n``."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _render_github(result: ScanResult, show_active: bool) -> str:
    lines = []
    for finding in _visible(result, show_active):
        rule = rule_for(finding)
        level = _GITHUB_LEVEL[finding.severity]
        props = ",".join(
            f"{key}={escape_property(str(value))}"
            for key, value in (
                ("file", _posix(finding.path, result.root)),
                ("line", finding.line),
                ("col", finding.column),
                ("endColumn", finding.end_column),
                ("title", f"{rule.code} {rule.name}"),
            )
        )
        message = rule.message(finding)
        help_line = rule.fix_title(finding)
        if help_line:
            message += f"\nhelp: {help_line}"
        lines.append(f"::{level} {props}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- text


def _position(finding: Finding, root: str) -> str:
    return f"{_posix(finding.path, root)}:{finding.line}:{finding.column}"


def _cell(finding: Finding) -> str:
    if finding.cell is None:
        return ""
    # people count cells from 1 (as Jupyter's "Go to cell" does); JSON keeps the 0-based index
    return f" [cell {finding.cell + 1}, line {finding.cell_line}]"


def _render_text(result: ScanResult, show_active: bool) -> str:
    findings = _visible(result, show_active)
    out = []
    for finding in findings:
        rule = rule_for(finding)
        where = _position(finding, result.root)
        out.append(f"{where}: {rule.code} {rule.message(finding)}{_cell(finding)}")
        help_line = rule.fix_title(finding)
        if help_line:
            source = (
                f" (source: {finding.replacement_source})" if finding.replacement_source else ""
            )
            out.append(f"  = help: {help_line}{source}")
    problems = [f for f in findings if f.status not in INVENTORY]
    if problems:
        out.append(f"Found {_n(len(problems), 'problem')} ({_summary_phrase(problems)}).")
    else:
        out.append("No problems found.")
    return "".join(line + "\n" for line in out)


# --------------------------------------------------------------------------- grouping


@dataclass
class ModelGroup:
    """Findings of one model on one platform, with the same status (a row of the table)."""

    status: str
    model: str
    platform: str | None
    shutdown_on: date | None
    shutdown_precision: str | None
    days_left: int | None
    replacement: str | None
    replacement_source: str | None
    replacements: tuple[str, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    replacement_chain: tuple[str, ...] = ()
    replacement_state: str | None = None
    replacement_ambiguous: bool = False

    @property
    def replacement_text(self) -> str:
        """The live replacement (``via`` the named one when a chain was followed), or the
        choice when the provider names several, or ``none alive``."""
        if self.replacement:
            text = self.replacement
            if self.replacement_chain:
                text += f" (via {self.replacement_chain[0]})"
            if self.replacement_state == "unknown":
                text += " (unverified)"
            elif self.replacement_state == "deprecated":
                text += " (deprecated)"
            return text
        if self.replacements and self.replacement_ambiguous:
            return "one of " + ", ".join(self.replacements)
        if self.replacements:
            return "none alive"
        return ""

    @property
    def shutdown(self) -> str:
        if self.shutdown_on is None:
            return ""
        if self.shutdown_precision == "month":
            return self.shutdown_on.strftime("%Y-%m")
        if self.shutdown_precision == "not_before":
            return "≥" + self.shutdown_on.isoformat()
        return self.shutdown_on.isoformat()

    @property
    def days(self) -> str:
        if self.days_left is None:
            return ""
        return str(self.days_left) if self.days_left >= 0 else "past"

    @property
    def written(self) -> list[str]:
        """The distinct texts as written, when they differ from the model id."""
        return sorted({f.text for f in self.findings} - {self.model})


def group_by_model(findings: Iterable[Finding]) -> list[ModelGroup]:
    """Group findings by (status, model, platform), worst status and soonest shutdown first."""
    groups: dict[tuple[str, str, str | None], ModelGroup] = {}
    for finding in sorted_findings(findings):
        model = finding.model or finding.text
        key = (finding.status, model, finding.platform)
        group = groups.get(key)
        if group is None:
            group = groups[key] = ModelGroup(
                status=finding.status,
                model=model,
                platform=finding.platform,
                shutdown_on=finding.shutdown_on,
                shutdown_precision=finding.shutdown_precision,
                days_left=finding.days_left,
                replacement=finding.replacement,
                replacement_source=finding.replacement_source,
                replacements=finding.replacements,
                replacement_chain=finding.replacement_chain,
                replacement_state=finding.replacement_state,
                replacement_ambiguous=finding.replacement_ambiguous,
            )
        group.findings.append(finding)
    return sorted(
        groups.values(),
        key=lambda g: (
            STATUS_RANK.get(g.status, 9),
            g.shutdown_on or date.max,
            g.model,
            g.platform or "",
        ),
    )


def _location(finding: Finding, root: str) -> str:
    where = _position(finding, root)
    extra = []
    if finding.cell is not None:
        extra.append(f"cell {finding.cell + 1}:{finding.cell_line}")
    if finding.context in ("comment", "docs"):
        extra.append(finding.context)
    return f"{where} ({', '.join(extra)})" if extra else where


# --------------------------------------------------------------------------- Markdown

_MARKDOWN_LOCATIONS = 10


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _render_markdown(result: ScanResult, show_active: bool) -> str:
    findings = _visible(result, show_active)
    problems = [f for f in findings if f.status not in INVENTORY]
    active = [f for f in findings if f.status in INVENTORY]
    out = []
    if problems:
        out.append(f"### recast scan: {_summary_phrase(problems)}")
    else:
        out.append("### recast scan: no problems found")
    out.append("")
    out.append(
        f"Scanned {_n(result.files_scanned, 'file')} as of {result.as_of.isoformat()}: "
        f"{_n(len(problems), 'finding')} to act on, {_n(len(active), 'reference')} "
        "to active models."
    )
    if problems:
        out += [
            "",
            "| status | model | platform | shutdown | days left | replacement | locations |",
            "|---|---|---|---|---|---|---|",
        ]
        for group in group_by_model(problems):
            model = f"`{_md(group.model)}`"
            if group.written:
                model += " as " + ", ".join(f"`{_md(t)}`" for t in group.written)
            if group.replacement:
                replacement = f"`{_md(group.replacement)}`"
                if group.replacement_chain:
                    replacement += f" (via `{_md(group.replacement_chain[0])}`)"
            elif group.replacements and group.replacement_ambiguous:
                replacement = "one of " + ", ".join(f"`{_md(r)}`" for r in group.replacements)
            elif group.replacements:
                replacement = "none alive"
            else:
                replacement = ""
            if group.replacement and group.replacement_source:
                replacement += f" ([source]({group.replacement_source}))"
            shown = group.findings[:_MARKDOWN_LOCATIONS]
            locations = "<br>".join(f"`{_md(_location(f, result.root))}`" for f in shown)
            if len(group.findings) > len(shown):
                locations += f"<br>and {len(group.findings) - len(shown)} more"
            out.append(
                f"| **{group.status}** | {model} | {group.platform or ''} | {group.shutdown} "
                f"| {group.days} | {replacement} | {locations} |"
            )
    if active:
        groups = group_by_model(active)
        out += [
            "",
            f"<details><summary>{len(groups)} active model{'s' if len(groups) != 1 else ''}"
            "</summary>",
            "",
            "| model | platform | locations |",
            "|---|---|---|",
        ]
        for group in groups:
            count = len(group.findings)
            out.append(
                f"| `{_md(group.model)}` | {group.platform or ''} | "
                f"{count} location{'s' if count != 1 else ''} |"
            )
        out += ["", "</details>"]
    if result.skipped:
        skipped = _n(len(result.skipped), "file")
        out += ["", f"{skipped} skipped (`recast scan --verbose` lists them)."]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- Rich table

_STATUS_STYLE = {
    "retired": "bold red",
    "deprecated": "yellow",
    "legacy": "cyan",
    "unknown": "magenta",
    "unverified": "magenta",
    "active": "green",
    "local": "cyan",
}


def _shown_root(root: str) -> str:
    """The scan root as a person typed it: relative to the current folder when inside it."""
    if not root:
        return "."
    if Path(root).is_absolute():
        with contextlib.suppress(ValueError):
            relative = Path(root).relative_to(Path.cwd()).as_posix()
            return relative or "."
    return root


def render_table(result: ScanResult, console: Console, *, show_active: bool = True) -> None:
    """Print the findings as a Rich table grouped by model (models named only in docs and
    comments get one line per status under it instead of rows), then a one-line summary."""
    from rich.table import Table
    from rich.text import Text

    findings = _visible(result, show_active)
    problems = [f for f in findings if f.status not in INVENTORY]
    if not findings:
        console.print(
            f"No model ids found in {_n(result.files_scanned, 'file')} "
            f"(as of {result.as_of.isoformat()})."
        )
        return
    all_groups = group_by_model(findings)
    groups = [g for g in all_groups if not _quiet(g.findings)]
    only_mentioned = [g for g in all_groups if _quiet(g.findings)]
    table = Table(
        title=f"Models in {_shown_root(result.root)} as of {result.as_of.isoformat()}",
        title_justify="left",
        show_lines=True,
    )
    # Rich crops a table whose longest words do not fit; capping the three free columns
    # (which fold long ids and paths) keeps every border on screen at any width.
    free = max(console.width - 39, 40)  # minus borders, padding, status and shutdown
    model_width, replacement_width = free * 3 // 10, free // 4
    table.add_column("status", no_wrap=True)
    table.add_column("model · platform", overflow="fold", max_width=model_width)
    table.add_column("shutdown", no_wrap=True)
    table.add_column("replacement", overflow="fold", max_width=replacement_width)
    table.add_column("locations", overflow="fold", max_width=free - model_width - replacement_width)
    for group in groups:
        model = Text(group.model)
        if group.platform:
            model.append(f" · {group.platform}", style="dim")
        if group.written:
            model.append("\nas " + ", ".join(group.written), style="dim")
        shutdown = Text(group.shutdown)
        if group.days:
            days = "past" if group.days == "past" else f"{_n(int(group.days), 'day')} left"
            shutdown.append(f"\n{days}", style="dim")
        table.add_row(
            Text(group.status, style=_STATUS_STYLE.get(group.status, "")),
            model,
            shutdown,
            group.replacement_text,
            _table_locations(group.findings, result.root),
        )
    if groups:
        console.print(table)
    if only_mentioned:
        # Docs and comments are lower severity: one line per status, not a row per model.
        console.print(
            f"{'Also' if groups else 'Only'} in docs and comments "
            f"({_n(len(only_mentioned), 'model')}; --format text lists every location):"
        )
        for status in STATUS_ORDER:
            names = [g for g in only_mentioned if g.status == status]
            if names:
                line = Text(f"  {status}: ", style=_STATUS_STYLE.get(status, ""))
                shown = ", ".join(_mention(g) for g in names[:TABLE_MENTIONS])
                if len(names) > TABLE_MENTIONS:
                    shown += f", +{len(names) - TABLE_MENTIONS} more"
                line.append(shown, style="dim")
                console.print(line)
    if problems:
        loud = [f for f in problems if f.context not in ("comment", "docs")]
        quiet = len(problems) - len(loud)
        if loud:
            summary = f"{_n(len(loud), 'finding')} to act on ({_summary_phrase(loud)})"
            if quiet:
                summary += f", {quiet} more in docs and comments"
        else:
            summary = f"{_n(quiet, 'finding')} in docs and comments ({_summary_phrase(problems)})"
    else:
        summary = "No retired, deprecated, legacy or unknown models"
    console.print(
        f"{summary}; {_n(len(all_groups), 'model')} in {_n(len(findings), 'location')}, "
        f"{_n(result.files_scanned, 'file')} scanned."
    )
    if result.skipped:
        skipped = _n(len(result.skipped), "file")
        console.print(f"{skipped} skipped (--verbose lists them).", style="dim")


#: The table shows at most this many files per model and lines per file; `--format text`
#: (and json, sarif, ...) list every location.
TABLE_FILES = 4
TABLE_LINES = 6
#: Models named per status in the docs-and-comments lines under the table.
TABLE_MENTIONS = 8


def _table_locations(findings: Sequence[Finding], root: str) -> Text:
    """One line per file, ``path:12, 40 (docs)``: code and config first, docs and comments
    (lower severity) dimmed after them; capped at :data:`TABLE_FILES` files."""
    from rich.text import Text

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)

    paths = sorted(by_path, key=lambda p: _quiet(by_path[p]))  # stable: keeps file order
    text = Text()
    for i, path in enumerate(paths[:TABLE_FILES]):
        items = by_path[path]
        marks = [_line_mark(f) for f in items[:TABLE_LINES]]
        if len(items) > TABLE_LINES:
            marks.append(f"+{len(items) - TABLE_LINES}")
        contexts = sorted({f.context for f in items if f.context in ("comment", "docs")})
        line = f"{_posix(path, root)}:{', '.join(marks)}"
        if _quiet(items):
            line += f" ({', '.join(contexts)})"
        text.append(("\n" if i else "") + line, style="dim" if _quiet(items) else "")
    hidden = paths[TABLE_FILES:]
    if hidden:
        more = sum(len(by_path[p]) for p in hidden)
        text.append(f"\n+{_n(more, 'location')} in {_n(len(hidden), 'more file')}", style="dim")
    return text


def _quiet(findings: Sequence[Finding]) -> bool:
    """Every finding is in docs or comments (lower severity)."""
    return all(f.context in ("comment", "docs") for f in findings)


def _mention(group: ModelGroup) -> str:
    """``gpt-4-32k (openai, 3×)`` for the docs-and-comments summary under the table."""
    where = f"{group.platform}, " if group.platform else ""
    return f"{group.model} ({where}{len(group.findings)}×)"


def _line_mark(finding: Finding) -> str:
    """A line number, with the notebook cell when there is one."""
    if finding.cell is not None:
        return f"{finding.line} (cell {finding.cell + 1}:{finding.cell_line})"
    return str(finding.line)


def _render_table_text(result: ScanResult, show_active: bool, width: int | None) -> str:
    from rich.console import Console

    # Without a width the table takes its natural width: nothing is cut or folded.
    console = Console(width=width or 1000, record=True, color_system=None, force_terminal=False)
    with console.capture() as capture:
        render_table(result, console, show_active=show_active)
    return "\n".join(line.rstrip() for line in capture.get().splitlines()) + "\n"


# --------------------------------------------------------------------------- entry point


def render(
    result: ScanResult, fmt: str, *, show_active: bool | None = None, width: int | None = None
) -> str:
    """Render a scan in one of :data:`FORMATS`.

    ``show_active`` (``None``: the format's default) includes active-model findings.
    ``width`` is the line width of the ``table`` format (plain text, no colour; use
    :func:`render_table` with a real console for colour); ``None`` gives the table its
    natural width, so no text is folded. Raises
    :class:`recast.errors.ConfigError` for an unknown format.
    """
    if fmt not in FORMATS:
        from recast.errors import ConfigError

        raise ConfigError(f"Unknown scan format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    active = fmt in _SHOW_ACTIVE_BY_DEFAULT if show_active is None else show_active
    if fmt == "json":
        return _render_json(result, active)
    if fmt == "sarif":
        return _render_sarif(result, active)
    if fmt == "github":
        return _render_github(result, active)
    if fmt == "markdown":
        return _render_markdown(result, active)
    if fmt == "text":
        return _render_text(result, active)
    return _render_table_text(result, active, width)


__all__ = [
    "FORMATS",
    "JSON_SCHEMA_VERSION",
    "ModelGroup",
    "finding_dict",
    "group_by_model",
    "render",
    "render_table",
    "result_dict",
    "sarif_dict",
    "sorted_findings",
]
