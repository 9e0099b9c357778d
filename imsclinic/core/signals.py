"""Signals other areas listen to without core importing them (core is a leaf)."""

from django.dispatch import Signal

# Sent by audit.record for every audited write about a patient, inside the write's transaction,
# with `patient_id` and the audited `action` name. Listeners keep derived data current (course priorities, analytics rollups).
chart_written = Signal()
