"""Time ``load_catalog()`` on the bundled catalog beside a bare ``json.load`` of the same file.

Each run is a fresh subprocess; prints medians (wall and CPU) and the ratio. The catalog
builds its objects on first use, so a second row times building every model and offering.
Target: ``load_catalog()`` under ~80 ms. Usage::

    .venv/bin/python bench/catalog_load.py [--runs 11]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

_PROBE = """
import json, time
t0 = time.perf_counter(); c0 = time.process_time()
{body}
print(json.dumps([(time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000]))
"""
_LOAD = "import recast.catalog as rc; rc.load_catalog()"
_FULL = "import recast.catalog as rc; c = rc.load_catalog(); c.models; c.offerings"
_JSON = "from recast.catalog import bundled_path; json.load(open(bundled_path()))"


def _run(body: str, env: dict[str, str]) -> tuple[float, float]:
    # Import the package first so only the load itself is timed.
    code = "import recast.catalog\n" + _PROBE.format(body=body)
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    ).stdout
    wall, cpu = json.loads(out)
    return float(wall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="recast-bench-")
    # Bytecode cached as after `pip install`, even where PYTHONDONTWRITEBYTECODE is set.
    env = dict(os.environ, RECAST_HOME=home, PYTHONPYCACHEPREFIX=os.path.join(home, "pyc"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    _run(_LOAD, env)  # write the bytecode cache once
    load = [_run(_LOAD, env) for _ in range(args.runs)]
    full = [_run(_FULL, env) for _ in range(args.runs)]
    bare = [_run(_JSON, env) for _ in range(args.runs)]
    lw, lc = statistics.median(w for w, _ in load), statistics.median(c for _, c in load)
    fw, fc = statistics.median(w for w, _ in full), statistics.median(c for _, c in full)
    bw, bc = statistics.median(w for w, _ in bare), statistics.median(c for _, c in bare)
    print(f"load_catalog():        {lw:6.1f} ms wall, {lc:6.1f} ms cpu (median of {args.runs})")
    print(f"... and build it all:  {fw:6.1f} ms wall, {fc:6.1f} ms cpu (.models, .offerings)")
    print(f"json.load only:        {bw:6.1f} ms wall, {bc:6.1f} ms cpu")
    print(f"ratio load/json (cpu): {lc / bc:.2f}x; target load_catalog() < 80 ms")


if __name__ == "__main__":
    main()
