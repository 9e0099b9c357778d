"""Views of the clinical area (assessment, course, consent, sessions)."""
