"""Command line of the catalog build: compile the sources and write ``catalog.json``."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from recast.catalog._catalog import bundled_path, write_catalog_file
from recast.catalog.sources._registry import build_catalog
from recast.errors import RecastError

DEFAULT_ROOT = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "lifecycle"


def main(argv: list[str] | None = None) -> int:
    """Build the catalog; print a summary to stderr. Returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m recast.catalog.sources")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="compile the lifecycle sources into catalog.json")
    build.add_argument("root", nargs="?", type=Path, default=DEFAULT_ROOT)
    build.add_argument("-o", "--output", type=Path, default=None)
    build.add_argument("--no-overlay", action="store_true")
    build.add_argument(
        "--overlay-dir", type=Path, default=None, help="read the overlay from this folder"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        overlay: bool | Path = args.overlay_dir or not args.no_overlay
        catalog = build_catalog(args.root, overlay=overlay)
        output = args.output or bundled_path()
        write_catalog_file(catalog, output)
    except RecastError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    states = Counter(o.lifecycle.state for o in catalog.offerings)
    print(
        f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB) in "
        f"{time.perf_counter() - started:.1f}s: {len(catalog.models)} models, "
        f"{len(catalog.offerings)} offerings ({dict(sorted(states.items()))}), "
        f"{len(catalog.conflicts)} conflicts",
        file=sys.stderr,
    )
    for item in catalog.provenance:
        print(
            f"  {item['source']}: {item['records']} records, {item['offerings']} offerings, "
            f"{item['skipped']} skipped",
            file=sys.stderr,
        )
    return 0
