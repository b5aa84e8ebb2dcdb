"""Speed of `recast scan` on real public repositories, beside `rg -F` in the same run.

    .venv/bin/python bench/scan_repos_speed.py                 # the repositories of scan_eval
    .venv/bin/python bench/scan_repos_speed.py --runs 5 --startup-runs 30

The trees are the checkouts `bench/scan_eval.py` scores (``--trees``, default
``/tmp/eval``; its docstring says how to get each one at its recorded sha). Per tree:

- ``recast scan TREE --format json --jobs N`` (what git tracks, as a user would run it)
- ``rg -F -c -f RETIRED_IDS TREE`` (every id and platform id of a retired offering; rg
  honours ``.gitignore`` and skips hidden and binary files, as recast does)

Each command runs ``--runs`` times after one warm-up, the two tools taking turns, and the
least wall and least CPU time count (this is a shared 2-core machine: one run to the next
moves by 15 %). Printed: per tree and overall wall and CPU seconds and recast's time as a
multiple of rg's. Target (issue 14): within 3x of rg over the set.

Then the fixed start-up of a one-file pre-commit run: ``recast scan FILE`` against
``python -c pass`` (same interpreter), the median of ``--startup-runs`` alternating runs.
Target: under 150 ms above the bare interpreter.

``--phases`` then prints where recast's time goes, per tree, in one process (CPU seconds,
the least of ``--runs``): ``walk`` (listing what git tracks), ``read`` (reading every file
and the prefilter), ``find`` (candidates and their evidence, in the files that pass the
prefilter), ``judge`` (catalog and platform), ``render`` (``--format json``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# This checkout's recast (the ids for rg, --phases), not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_eval import REPOS
from scan_speed import _best_of_each, _run, retired_ids

ROOT = Path(__file__).resolve().parent.parent


def recast_command() -> list[str]:
    """``recast`` through this interpreter, with this checkout's sources first."""
    code = "import sys; from recast.cli.main import main; sys.argv[0] = 'recast'; main()"
    return [sys.executable, "-c", code]


def _env() -> None:
    """This checkout's sources first, and bytecode caching on: a user's install has its
    ``.pyc`` files, so start-up must not be measured recompiling every module."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    src = str(ROOT / "src")
    os.environ["PYTHONPATH"] = src + os.pathsep + os.environ.get("PYTHONPATH", "")


def startup(runs: int) -> tuple[float, float]:
    """Median wall seconds of ``recast scan FILE`` and of ``python -c pass``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "app.py"
        path.write_text('MODEL = "gpt-4o"\n', encoding="utf-8")
        scan_cmd = [*recast_command(), "scan", str(path), "--format", "text"]
        bare = [sys.executable, "-c", "pass"]
        _run(scan_cmd)
        _run(bare)
        scan_times, bare_times = [], []
        for _ in range(runs):
            scan_times.append(_run(scan_cmd).wall)
            bare_times.append(_run(bare).wall)
    return statistics.median(scan_times), statistics.median(bare_times)


def phases(tree: Path, runs: int) -> dict[str, float]:
    """CPU seconds of each phase of one scan of ``tree`` in this process (least of ``runs``)."""
    from scan_eval import AS_OF

    from recast.scan import ScanConfig, _scan
    from recast.scan._find import has_anchor, kind_of
    from recast.scan._finding import ScanResult
    from recast.scan._judge import Judge, sort_findings
    from recast.scan._render import render
    from recast.scan._walk import read_bytes

    best: dict[str, float] = {}
    for _ in range(runs):
        started = time.process_time()
        walked = list(_scan.iter_walk([tree], _scan.WalkOptions(), str(tree), _scan.WalkResult()))
        listed = time.process_time()
        for item in walked:  # what every file costs: read it, run the prefilter
            data = read_bytes(item.path, 5 << 20)[0]
            if data is not None:
                has_anchor(data, kind_of(item.path))
        read = time.process_time()
        scans = [s for s in _scan._run(iter(walked), 5 << 20, 1, _scan._Totals()) if s.candidates]
        found = time.process_time()
        judge = Judge(None, AS_OF, ScanConfig(), str(tree))
        judge.repo = _scan.repo_evidence(scans)
        result = ScanResult(root=str(tree), as_of=AS_OF)
        for scanned in scans:
            result.findings += judge.judge_file(scanned)[0]
        result.findings = sort_findings(result.findings)
        result.copies = judge.copies
        judged = time.process_time()
        render(result, "json")
        rendered = time.process_time()
        spent = {
            "walk": listed - started,
            "read": read - listed,
            "find": found - read - (read - listed),  # the files read again, less that reading
            "judge": judged - found,
            "render": rendered - judged,
        }
        best = {k: min(v, best.get(k, v)) for k, v in spent.items()}
    best["findings"] = len(result.findings)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", default="/tmp/eval")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--phases", action="store_true", help="then where the time goes")
    args = parser.parse_args()
    _env()
    with tempfile.TemporaryDirectory() as folder:
        patterns = Path(folder) / "retired.txt"
        count = retired_ids(patterns)
        print(
            f"{count} retired ids in the rg pattern file; jobs={args.jobs}; cores={os.cpu_count()}"
        )
        header = ("tree", "rg wall", "recast", "x", "rg cpu", "recast", "x")
        print("{:<38} {:>8} {:>8} {:>6} {:>8} {:>8} {:>6}".format(*header))
        totals = [0.0, 0.0, 0.0, 0.0]
        for repo, _sha, _split in REPOS:
            tree = Path(args.trees) / repo.replace("/", "+")
            if not (tree / ".git").exists():
                print(f"{repo}: no tree at {tree} (see bench/scan_eval.py)")
                continue
            rg = ["rg", "-F", "-c", "-f", str(patterns), str(tree)]
            scan = [*recast_command(), "scan", str(tree), "--format", "json"]
            scan += ["--jobs", str(args.jobs)]
            rg_t, scan_t = _best_of_each([rg, scan], args.runs)
            for i, value in enumerate((rg_t.wall, scan_t.wall, rg_t.cpu, scan_t.cpu)):
                totals[i] += value
            print(
                f"{repo:<38} {rg_t.wall:>8.2f} {scan_t.wall:>8.2f} {scan_t.wall / rg_t.wall:>6.2f}"
                f" {rg_t.cpu:>8.2f} {scan_t.cpu:>8.2f} {scan_t.cpu / rg_t.cpu:>6.2f}"
            )
        rg_wall, scan_wall, rg_cpu, scan_cpu = totals
        if rg_wall:
            print(
                f"{'overall':<38} {rg_wall:>8.2f} {scan_wall:>8.2f} {scan_wall / rg_wall:>6.2f}"
                f" {rg_cpu:>8.2f} {scan_cpu:>8.2f} {scan_cpu / rg_cpu:>6.2f}   (target <= 3x)"
            )
    scan_start, bare = startup(args.startup_runs)
    print(
        f"start-up: recast scan FILE {scan_start * 1000:.0f} ms, python -c pass "
        f"{bare * 1000:.0f} ms, fixed cost {(scan_start - bare) * 1000:.0f} ms (target < 150 ms)"
    )
    if args.phases:
        _print_phases(Path(args.trees), args.runs)
    return 0


def _print_phases(trees: Path, runs: int) -> None:
    print(
        ("{:<38}" + " {:>8}" * len(PHASES) + " {:>9}").format(
            "cpu s, one process", *PHASES, "findings"
        )
    )
    totals = dict.fromkeys((*PHASES, "findings"), 0.0)
    for repo, _sha, _split in REPOS:
        tree = trees / repo.replace("/", "+")
        if not (tree / ".git").exists():
            continue
        spent = phases(tree, runs)
        for key, value in spent.items():
            totals[key] += value
        print(
            f"{repo:<38}"
            + "".join(f" {spent[p]:>8.2f}" for p in PHASES)
            + f" {spent['findings']:>9.0f}"
        )
    print(
        f"{'overall':<38}"
        + "".join(f" {totals[p]:>8.2f}" for p in PHASES)
        + f" {totals['findings']:>9.0f}"
    )


PHASES = ("walk", "read", "find", "judge", "render")


if __name__ == "__main__":
    raise SystemExit(main())
