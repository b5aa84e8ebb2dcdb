"""recast.store (being built)."""
