"""recast: keep LLM applications alive through model deprecations.

The verbs live in sub-packages: ``recast.catalog`` (lifecycle data and id
resolution), ``recast.scan``, ``recast.audition``, ``recast.gateway``;
``recast.providers`` and ``recast.store`` are shared by them.
"""

from __future__ import annotations

__version__ = "0.1.0.dev0"
__all__ = ["__version__"]
