"""Models for the reports area (filled in by its issue)."""
