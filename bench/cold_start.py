"""Cold-start time of `recast models show gpt-4.5-preview` beside bare `python -c pass`.

Each run is a fresh subprocess (nothing cached in memory, bytecode cached on disk as
after ``pip install``). Prints the median of N runs of each and the difference; the
target is under 300 ms of CPU time more than bare Python (exit status 1 when missed).
Usage::

    .venv/bin/python bench/cold_start.py [--runs 15] [--id gpt-4.5-preview] [--breakdown]

``--breakdown`` also prints where the CPU time goes (median per phase): importing
typer, the rest of the CLI, typer's pydantic-based parameter coercion (typer >= 0.29),
the catalog package, loading the catalog, building the resolver's indexes, and the
command itself. Wall times on a busy machine are inflated; CPU times much less so.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_MS = 300.0
_MAIN = "import sys; from recast.cli.main import main; sys.argv[0] = 'recast'; main()"

# Runs in a fresh interpreter; prints "phase<TAB>milliseconds" lines.
_PHASES = """
import contextlib, importlib.util, io, sys, time
marks = [("start", time.process_time())]
def mark(name):
    marks.append((name, time.process_time()))
import typer
mark("import typer")
import recast.cli.main as cli
mark("import the CLI (every verb)")
if importlib.util.find_spec("typer._adapters"):
    import typer._adapters
mark("typer's pydantic coercion")
import recast.catalog as catalog
mark("import recast.catalog")
catalog.load_catalog()
mark("load the catalog")
catalog.resolve(sys.argv[1])
mark("resolver indexes")
sys.argv = ["recast", "models", "show", sys.argv[1]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cli.main()
    except SystemExit:
        pass
mark("run the command")
for (_, before), (name, after) in zip(marks, marks[1:]):
    print(f"{name}\t{(after - before) * 1000:.2f}")
"""


def _bench_env(home: str) -> dict[str, str]:
    """The environment of every timed run: the bundled catalog and a bytecode cache.

    ``RECAST_HOME`` is an empty folder, so the bundled catalog is read (no user cache).
    Bytecode is cached under ``home`` (``PYTHONPYCACHEPREFIX``) even where
    ``PYTHONDONTWRITEBYTECODE`` is set: an installed wheel has its ``.pyc`` files, and
    without them every run would time compiling recast's sources instead of running them.
    """
    env = {**os.environ, "RECAST_HOME": home, "PYTHONPYCACHEPREFIX": os.path.join(home, "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _time(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system of the child), in milliseconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (median)")
    parser.add_argument("--id", default="gpt-4.5-preview", help="model id to show")
    parser.add_argument("--breakdown", action="store_true", help="CPU time per start-up phase")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        env = _bench_env(home)
        bare = [sys.executable, "-c", "pass"]
        script = os.path.join(os.path.dirname(sys.executable), "recast")
        entry = [script] if os.path.exists(script) else [sys.executable, "-c", _MAIN]
        show = [*entry, "models", "show", args.id]
        _time(show, env)  # warm the OS file cache and write .pyc files once
        bare_runs: list[tuple[float, float]] = []
        show_runs: list[tuple[float, float]] = []
        for _ in range(args.runs):  # interleave, so load on the machine hits both alike
            bare_runs.append(_time(bare, env))
            show_runs.append(_time(show, env))
        phases = _breakdown(args.id, args.runs, env) if args.breakdown else {}

    def median(runs: list[tuple[float, float]], index: int) -> float:
        return statistics.median(run[index] for run in runs)

    bare_wall, show_wall = median(bare_runs, 0), median(show_runs, 0)
    bare_cpu, show_cpu = median(bare_runs, 1), median(show_runs, 1)
    extra = show_wall - bare_wall
    extra_cpu = show_cpu - bare_cpu
    label = f"recast models show {args.id}"
    width = max(len(label), len("python -c pass"))
    print(f"{'':{width}}  {'wall (median)':>14}  {'CPU (median)':>13}   {args.runs} runs each")
    print(f"{'python -c pass':{width}}  {bare_wall:11.1f} ms  {bare_cpu:10.1f} ms")
    print(f"{label:{width}}  {show_wall:11.1f} ms  {show_cpu:10.1f} ms")
    print(
        f"{'difference':{width}}  {extra:11.1f} ms  {extra_cpu:10.1f} ms"
        f"   (target: < {TARGET_MS:.0f} ms; judged on CPU, which load inflates least)"
    )
    print(f"{'ratio':{width}}  {show_wall / bare_wall:12.1f} x  {show_cpu / bare_cpu:11.1f} x")
    try:
        load = os.getloadavg()[0]
        cores = os.cpu_count() or 1
        if load > cores:
            print(f"note: load average {load:.1f} on {cores} cores; wall times are inflated")
    except OSError:
        pass
    if phases:
        print("\nCPU time per phase (median):")
        total = 0.0
        for name, values in phases.items():
            value = statistics.median(values)
            total += value
            print(f"  {name:<32} {value:7.1f} ms")
        print(f"  {'total (after interpreter start)':<32} {total:7.1f} ms")
    return 0 if extra_cpu < TARGET_MS else 1


def _breakdown(model_id: str, runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    """CPU milliseconds of each start-up phase, one list entry per run."""
    phases: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _PHASES, model_id],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        for line in out.splitlines():
            name, value = line.split("\t")
            phases.setdefault(name, []).append(float(value))
    return phases


if __name__ == "__main__":
    raise SystemExit(main())
