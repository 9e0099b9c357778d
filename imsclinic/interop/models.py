"""Models for the interop area (filled in by its issue)."""
