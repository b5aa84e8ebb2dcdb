"""Where recast keeps per-user state (catalog cache, store, response cache).

A leaf module with no imports of ours, so every package may use it.
``RECAST_HOME`` overrides the location (tests point it at a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path


def recast_home() -> Path:
    """Return the per-user recast folder, creating it if needed.

    ``$RECAST_HOME`` if set, else ``$XDG_DATA_HOME/recast``, else
    ``~/.local/share/recast``.
    """
    explicit = os.environ.get("RECAST_HOME")
    if explicit:
        home = Path(explicit)
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        home = Path(base) / "recast"
    home.mkdir(parents=True, exist_ok=True)
    return home
