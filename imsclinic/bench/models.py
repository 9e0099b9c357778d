"""Models for the bench area (filled in by its issue)."""
