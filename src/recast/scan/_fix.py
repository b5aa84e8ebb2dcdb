"""``--fix``: rewrite model ids to their replacement, byte for byte everywhere else.

- Only findings in code and config are rewritten (a comment or a changelog that names an old
  model is history, not a dependency); only ``retired`` and ``deprecated`` ones by default,
  and any finding a ``--replace OLD=NEW`` (or ``[tool.recast.replace]``) mapping names.
- The replacement is the single recommended one, in the form of the finding's platform
  (a Bedrock id becomes the Bedrock id of the replacement). Ambiguous replacements, and
  replacements the catalog cannot name on that platform, are skipped with the reason.
- Files keep their encoding, byte order mark and line endings; only the id's characters
  change (ids are plain ASCII, so notebook JSON stays valid, which is checked).
- Without ``write`` nothing is written and each file's unified diff is returned; with it,
  each file is written atomically (temporary file in the same folder, then a rename) and
  keeps its permissions. A file that changed since the scan is left alone.
- Moving to a reasoning model (o-series and the like, ``capabilities.reasoning``) needs
  request changes: a warning says so (``max_completion_tokens``, no ``temperature``).
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from recast.catalog import Catalog, load_catalog, parse_id, resolve
from recast.errors import ScanError
from recast.scan._finding import Finding, ScanResult
from recast.scan._walk import decode

FIX_CONTEXTS = ("code", "config")
FIX_STATUSES = ("retired", "deprecated")


@dataclass(frozen=True)
class Edit:
    """One id to rewrite: where it is (1-based line, column) and the old and new text."""

    line: int
    column: int
    old: str
    new: str
    finding: Finding


@dataclass(frozen=True)
class FileFix:
    """The rewrite of one file: its edits and unified diff (``new_bytes`` is what is written)."""

    path: str
    abspath: str
    edits: tuple[Edit, ...]
    diff: str
    new_bytes: bytes = field(repr=False)


@dataclass(frozen=True)
class SkippedFix:
    """A finding ``--fix`` left alone, and why."""

    path: str
    line: int
    column: int
    text: str
    reason: str


@dataclass
class FixResult:
    """What ``fix`` did or would do."""

    files: list[FileFix] = field(default_factory=list)
    skipped: list[SkippedFix] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def diff(self) -> str:
        """Every file's unified diff, concatenated."""
        return "".join(f.diff for f in self.files)

    @property
    def edit_count(self) -> int:
        return sum(len(f.edits) for f in self.files)


def _mapped(finding: Finding, mapping: Mapping[str, str]) -> str | None:
    """The new token for ``finding`` under a user mapping, or ``None`` if no key names it."""
    if not mapping:
        return None
    text = finding.text
    if text in mapping:
        return mapping[text]
    parsed = parse_id(text)
    keys = [k for k in (finding.platform_id, finding.model, parsed.base) if k]
    lowered = text.lower()
    for key in keys:
        if key in mapping:
            index = lowered.rfind(key.lower())
            if index >= 0:
                return text[:index] + mapping[key] + text[index + len(key) :]
            return mapping[key]
    return None


def _needs_request_changes(finding: Finding, new_text: str, catalog: Catalog) -> str | None:
    old_model = catalog.models.get(finding.model or "")
    new_model = None
    if finding.replacement and new_text == finding.fix_text:
        new_model = catalog.models.get(finding.replacement)
    if new_model is None:
        offerings = resolve(new_text, catalog=catalog)
        new_model = catalog.models.get(offerings[0].model) if offerings else None
    if new_model is None or not new_model.capabilities.reasoning:
        return None
    if new_model.provider != "openai" and finding.platform not in ("openai", "azure-openai"):
        return None  # the parameter rules below are OpenAI's (o-series, gpt-5)
    if old_model is not None and old_model.capabilities.reasoning:
        return None
    return (
        f"{finding.path}:{finding.line}: {new_model.id} is a reasoning model: send "
        "`max_completion_tokens` instead of `max_tokens`, and drop `temperature`, `top_p`, "
        "`presence_penalty` and `frequency_penalty` (they are rejected or ignored)."
    )


def _history(context: str) -> str:
    where = "a comment" if context == "comment" else "docs"
    return f"in {where}: history is left as written (edit it by hand)"


def plan(
    result: ScanResult,
    *,
    replace: Mapping[str, str] | None = None,
    catalog: Catalog | None = None,
    statuses: Iterable[str] = FIX_STATUSES,
) -> FixResult:
    """Work out every rewrite for ``result`` without writing anything."""
    catalog = catalog if catalog is not None else load_catalog()
    mapping = dict(replace or {})
    wanted = set(statuses)
    out = FixResult()
    by_file: dict[str, list[Edit]] = defaultdict(list)
    for finding in result.findings:
        new = _mapped(finding, mapping)
        if new is None:
            if finding.status not in wanted:
                continue
            skip = None
            if finding.context not in FIX_CONTEXTS:
                skip = _history(finding.context)
            elif finding.replacement_ambiguous:
                skip = "ambiguous replacement: " + ", ".join(finding.replacements)
            elif not finding.replacement and finding.replacements:
                skip = "no live replacement: " + (finding.replacement_note or "none alive")
            elif not finding.replacement:
                skip = "no replacement known"
            elif finding.replacement_state == "unknown":
                skip = (
                    f"replacement {finding.replacement!r} has no lifecycle source on "
                    f"{finding.platform} (unverified): check it, then pass it with --replace"
                )
            elif not finding.fix_text:
                skip = (
                    f"replacement {finding.replacement!r} has no id on {finding.platform}"
                    " (or the id could not be located in the text)"
                )
            if skip:
                out.skipped.append(
                    SkippedFix(finding.path, finding.line, finding.column, finding.text, skip)
                )
                continue
            assert finding.fix_text is not None
            new = finding.fix_text
        elif finding.context not in FIX_CONTEXTS:
            out.skipped.append(
                SkippedFix(
                    finding.path,
                    finding.line,
                    finding.column,
                    finding.text,
                    _history(finding.context),
                )
            )
            continue
        if new == finding.text:
            continue
        warning = _needs_request_changes(finding, new, catalog)
        if warning:
            out.warnings.append(warning)
        by_file[finding.path].append(Edit(finding.line, finding.column, finding.text, new, finding))
    for path, edits in sorted(by_file.items()):
        file_fix = _plan_file(result.root, path, edits, out)
        if file_fix is not None:
            out.files.append(file_fix)
    return out


def _plan_file(root: str, path: str, edits: list[Edit], out: FixResult) -> FileFix | None:
    abspath = path if os.path.isabs(path) else os.path.join(root, path)
    try:
        with open(abspath, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        for edit in edits:
            out.skipped.append(
                SkippedFix(path, edit.line, edit.column, edit.old, f"unreadable ({exc.strerror})")
            )
        return None
    decoded = decode(data)
    text = decoded.text
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    placed: list[tuple[int, Edit]] = []
    for edit in edits:
        offset = -1 if edit.line > len(starts) else starts[edit.line - 1] + edit.column - 1
        if offset < 0 or text[offset : offset + len(edit.old)] != edit.old:
            out.skipped.append(
                SkippedFix(path, edit.line, edit.column, edit.old, "file changed since the scan")
            )
            continue
        placed.append((offset, edit))
    if not placed:
        return None
    placed.sort(key=lambda p: p[0])
    pieces: list[str] = []
    last = 0
    for offset, edit in placed:
        if offset < last:
            continue  # overlapping spans cannot happen for distinct tokens; be safe
        pieces.append(text[last:offset])
        pieces.append(edit.new)
        last = offset + len(edit.old)
    pieces.append(text[last:])
    new_text = "".join(pieces)
    if path.lower().endswith(".ipynb"):
        try:
            json.loads(new_text)
        except ValueError:
            for _, edit in placed:
                out.skipped.append(
                    SkippedFix(path, edit.line, edit.column, edit.old, "would break the notebook")
                )
            return None
    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )
    if diff and not diff.endswith("\n"):
        diff += "\n\\ No newline at end of file\n"
    return FileFix(path, abspath, tuple(e for _, e in placed), diff, decoded.encode(new_text))


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permission bits."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o644
    handle, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".recast", dir=folder
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise ScanError(
            f"Could not write {path!r} ({exc.strerror}); it was left unchanged."
        ) from exc


def fix(
    result: ScanResult,
    *,
    replace: Mapping[str, str] | None = None,
    write: bool = False,
    catalog: Catalog | None = None,
    statuses: Iterable[str] = FIX_STATUSES,
) -> FixResult:
    """Rewrite the findings of ``result`` to their replacements (see module docs).

    Returns the plan; with ``write=True`` every file in it has been written atomically.
    """
    planned = plan(result, replace=replace, catalog=catalog, statuses=statuses)
    if write:
        for file_fix in planned.files:
            write_atomic(file_fix.abspath, file_fix.new_bytes)
        planned.written = True
    return planned
