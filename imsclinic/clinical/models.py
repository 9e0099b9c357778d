"""Models for the clinical area (filled in by its issue)."""
