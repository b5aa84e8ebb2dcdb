"""``python -m recast.catalog.sources build [LIFECYCLE_DIR] [-o catalog.json]``."""

from __future__ import annotations

import sys

from recast.catalog.sources._build import main

sys.exit(main())
