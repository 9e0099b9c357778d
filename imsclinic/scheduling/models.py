"""Models for the scheduling area (filled in by its issue)."""
