"""Models for the screening area (filled in by its issue)."""
