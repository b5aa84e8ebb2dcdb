"""recast.audition (being built)."""
