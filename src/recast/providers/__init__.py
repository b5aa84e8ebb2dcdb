"""recast.providers (being built)."""
