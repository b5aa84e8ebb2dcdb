"""The scan itself: walk, read each file once, find candidates, judge them.

Small trees run in this process. Large ones (over :data:`PARALLEL_MIN_BYTES` in more than
:data:`PARALLEL_MIN_FILES` files) are read and searched by a pool of worker processes, one
per core, over batches of files; the workers never touch the catalog, so only the few
candidates travel back, and resolution stays in this process with one cache.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from recast.catalog import Catalog
from recast.errors import ScanError
from recast.scan._config import ScanConfig, changed_files, load_config
from recast.scan._find import FileScan, has_anchor, in_data_folder, kind_of, scan_text
from recast.scan._finding import ScanResult, SkippedFile
from recast.scan._judge import Judge, sort_findings
from recast.scan._platform import REPO_TOTAL
from recast.scan._walk import (
    WalkItem,
    WalkOptions,
    WalkResult,
    decode,
    iter_walk,
    read_bytes,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

PARALLEL_MIN_BYTES = 24 * 1024 * 1024
PARALLEL_MIN_FILES = 200
BATCH_BYTES = 4 * 1024 * 1024
BATCH_FILES = 400

Progress = Callable[[str], None]


#: What the finder read in each distinct file content: ``(kind, in a data folder, include
#: outputs, BLAKE2 digest)`` -> the first file's scan. Real trees repeat files (crewAI keeps
#: every release's docs: 27,136 files, 3,768 distinct), and what the finder reads depends
#: only on these; the judge still decides each file on its own path.
SeenFiles = dict[tuple[object, ...], FileScan]


def scan_file(
    path: str,
    rel: str,
    max_bytes: int,
    include_outputs: bool = False,
    seen: SeenFiles | None = None,
) -> FileScan:
    """Read one file and find its candidates (runs in worker processes too); with ``seen``,
    a content met before is not read again (its candidates are shared, not copied)."""
    data, reason = read_bytes(path, max_bytes)
    if data is None:
        return FileScan(rel=rel, skip_reason=reason)
    kind = kind_of(path)
    if not has_anchor(data, kind) and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return FileScan(rel=rel, size=len(data))
    key = None
    if seen is not None:
        import hashlib  # here: a pre-commit run names its files, never hashes, skips the import

        digest = hashlib.blake2b(data, digest_size=20).digest()
        key = (kind, in_data_folder(rel), include_outputs, digest)
        first = seen.get(key)
        if first is not None:
            return replace(first, rel=rel)
    decoded = decode(data)
    result = scan_text(decoded.text, kind, rel, include_outputs)
    result.size = len(data)
    result.note = decoded.note
    if seen is not None and key is not None:
        result.content = key
        seen[key] = result
    return result


@dataclass
class _Totals:
    """Files with nothing to report are only counted (they never travel between processes)."""

    files: int = 0
    size: int = 0


def _plain(scanned: FileScan) -> bool:
    return scanned.skip_reason is None and scanned.note is None and not scanned.candidates


#: A worker's :data:`SeenFiles` (a pool lives for one scan; forked from a parent whose copy
#: is never filled, so it starts empty).
_WORKER_SEEN: SeenFiles = {}


def _scan_batch(
    items: list[tuple[str, str]], max_bytes: int, include_outputs: bool = False
) -> tuple[int, int, list[FileScan]]:
    """Scan ``(path, rel)`` pairs in a worker (plain tuples pickle several times faster)."""
    files = size = 0
    out: list[FileScan] = []
    for path, rel in items:
        scanned = scan_file(path, rel, max_bytes, include_outputs, _WORKER_SEEN)
        if _plain(scanned):
            files += 1
            size += scanned.size
        else:
            out.append(scanned)
    return files, size, out


def _run(
    items: Iterator[WalkItem],
    max_bytes: int,
    jobs: int | None,
    totals: _Totals,
    include_outputs: bool = False,
) -> Iterator[FileScan]:
    """Scan files as the walk yields them: here for small trees, in a pool for large ones.

    Files are buffered until the tree is known to be large (over ``PARALLEL_MIN_BYTES`` in
    ``PARALLEL_MIN_FILES`` files); then batches go to worker processes while the walk goes on.
    """
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    buffered: list[WalkItem] = []
    size = 0
    if workers > 1:
        for item in items:
            buffered.append(item)
            size += item.size
            if size >= PARALLEL_MIN_BYTES and len(buffered) >= PARALLEL_MIN_FILES:
                break
    if workers <= 1 or size < PARALLEL_MIN_BYTES or len(buffered) < PARALLEL_MIN_FILES:
        seen: SeenFiles = {}
        for item in _chain(buffered, items):
            # Files named on the command line (a pre-commit run) are not hashed.
            scanned = scan_file(
                item.path, item.rel, max_bytes, include_outputs, None if item.explicit else seen
            )
            if _plain(scanned):
                totals.files += 1
                totals.size += scanned.size
            else:
                yield scanned
        return
    import multiprocessing  # only large trees pay for the pool's imports
    from concurrent.futures import ProcessPoolExecutor

    context = (
        multiprocessing.get_context("fork")
        if sys.platform.startswith("linux")
        else multiprocessing.get_context()
    )
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: list[Future[tuple[int, int, list[FileScan]]]] = []
        batch: list[tuple[str, str]] = []
        batch_size = 0
        for item in _chain(buffered, items):
            batch.append((item.path, item.rel))
            batch_size += item.size
            if batch_size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
                futures.append(pool.submit(_scan_batch, batch, max_bytes, include_outputs))
                batch, batch_size = [], 0
        if batch:
            futures.append(pool.submit(_scan_batch, batch, max_bytes, include_outputs))
        for future in futures:
            files, plain_size, reported = future.result()
            totals.files += files
            totals.size += plain_size
            yield from reported


def _chain(first: list[WalkItem], rest: Iterator[WalkItem]) -> Iterator[WalkItem]:
    yield from first
    yield from rest


def scan(
    paths: Sequence[str | os.PathLike[str]] = (".",),
    *,
    as_of: date | None = None,
    catalog: Catalog | None = None,
    config: ScanConfig | None = None,
    changed_since: str | None = None,
    root: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Scan files and folders for model ids and judge each against the catalog.

    ``config`` defaults to the nearest ``recast.toml`` / ``pyproject.toml`` ``[tool.recast]``
    above the first path. ``root`` (default: the current folder) is what report paths are
    relative to. ``changed_since`` limits the scan to files changed since that git ref.
    ``jobs`` caps worker processes (default: one per core, for large trees only).
    Raises :class:`~recast.errors.ScanError` for a missing path or a bad git ref and
    :class:`~recast.errors.ConfigError` for a bad configuration.
    """
    started = time.perf_counter()
    if not paths:
        paths = (".",)
    missing = [os.fspath(p) for p in paths if not os.path.exists(p)]
    if missing:
        raise ScanError(f"Path {missing[0]!r} does not exist. Pass an existing file or folder.")
    if config is None:
        config = load_config(start=paths[0])
    root_dir = os.path.abspath(os.fspath(root) if root is not None else os.getcwd())
    as_of = as_of or date.today()
    options = WalkOptions(
        include_vendored=config.include_vendored,
        exclude=config.exclude,
        max_file_bytes=config.max_file_bytes,
        exclude_base=config.base,
    )
    listing = WalkResult()
    items = iter_walk(paths, options, root_dir, listing)
    if changed_since is not None:
        first = paths[0] if os.path.isdir(paths[0]) else "."
        wanted = set(changed_files(changed_since, cwd=first))
        items = (i for i in items if os.path.abspath(i.path) in wanted or i.explicit)
    if progress:
        progress("scanning")
    result = ScanResult(
        root=root_dir,
        as_of=as_of,
        fail_on=config.fail_on,
        fail_within_days=config.fail_within_days,
        strict=config.strict,
    )
    judge = Judge(catalog, as_of, config, root_dir)
    totals = _Totals()
    with_candidates: list[FileScan] = []
    for file_scan in _run(items, config.max_file_bytes, jobs, totals, config.include_outputs):
        if file_scan.skip_reason is not None:
            result.skipped.append(SkippedFile(file_scan.rel, file_scan.skip_reason))
            if file_scan.size == 0:
                continue
        result.files_scanned += 1
        result.bytes_scanned += file_scan.size
        if file_scan.note:
            result.notes.append(SkippedFile(file_scan.rel, file_scan.note))
        if file_scan.candidates:
            with_candidates.append(file_scan)
    # Judged once every file is read: the repo-level hint counts them all.
    judge.repo = repo_evidence(with_candidates)
    for file_scan in with_candidates:
        findings, suppressed = judge.judge_file(file_scan)
        result.findings.extend(findings)
        result.suppressed += suppressed
    result.copies = judge.copies
    result.files_scanned += totals.files
    result.bytes_scanned += totals.size
    result.skipped.extend(listing.skipped)
    result.findings = sort_findings(result.findings)
    result.skipped.sort(key=lambda s: s.path)
    result.seconds = time.perf_counter() - started
    return result


def repo_evidence(scans: Sequence[FileScan]) -> dict[str, int]:
    """How many files of the scan hold strong evidence of each platform."""
    counts: dict[str, int] = {REPO_TOTAL: 0}
    for file_scan in scans:
        platforms = {item[1] for item in file_scan.file_evidence}
        counts[REPO_TOTAL] += bool(platforms)
        for platform in platforms:
            counts[platform] = counts.get(platform, 0) + 1
    return counts


def with_overrides(config: ScanConfig, **changes: object) -> ScanConfig:
    """``config`` with the given fields replaced, ignoring ``None`` values (CLI flags unset)."""
    values = {k: v for k, v in changes.items() if v is not None}
    return replace(config, **values)  # type: ignore[arg-type]
