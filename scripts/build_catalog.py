#!/usr/bin/env python3
"""Compile ../shared/data/lifecycle (or the folder given) into src/recast/catalog/data/catalog.json.

    .venv/bin/python scripts/build_catalog.py [LIFECYCLE_DIR] [-o OUTPUT]

Same as ``python -m recast.catalog.sources build``.
"""

from __future__ import annotations

import sys

from recast.catalog.sources._build import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
