"""Models for the outcomes area (filled in by its issue)."""
