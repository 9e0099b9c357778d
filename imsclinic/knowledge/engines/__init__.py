"""Engines over the knowledge base: segments, plan, candidacy, scoring (pure Python)."""
