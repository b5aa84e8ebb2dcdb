"""recast.gateway (being built)."""
