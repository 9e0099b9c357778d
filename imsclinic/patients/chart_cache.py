"""Rendered chart summary sections, cached per patient under the chart's version stamp.

`Patient.chart_version` is bumped by every audited write that concerns the patient
(`audit.services.record` calls `bump_chart_version`), inside the write's own transaction. A
reader reads the stamp with the patient row, before any section data, so an entry stored under a
stamp can only hold data at least as new as that stamp: a stale section is never served, on one
server (per-process memory cache) or several (Redis, IMSCLINIC_CACHE_URL), because the stamp
lives in the shared database, not in the cache.

The key also carries what else a section depends on without being a chart write: the clinic's
settings (`updated_at`: course rules, instruments), the clinic-local date (consent expiry, the
weeks-idle dropout flag), the language, and a fingerprint of the knowledge base and the section
templates (a release with new clinical knowledge or markup never serves the old HTML).
"""

import functools
import hashlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "data"


def bump_chart_version(patient_id: int) -> None:
    """Invalidate every cached section of the patient's chart (call inside the write's transaction)."""
    from imsclinic.patients.models import Patient

    Patient.objects.filter(pk=patient_id).update(chart_version=F("chart_version") + 1)


@functools.lru_cache(maxsize=1)
def _knowledge_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(KNOWLEDGE_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=32)
def _template_fingerprint(template_name: str) -> str:
    source = get_template(template_name).template.source
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def section_key(patient, dotted: str, template_name: str) -> str:
    clinic = patient.clinic
    database = settings.DATABASES["default"]["NAME"]
    parts = [
        "chart-section",
        hashlib.sha256(str(database).encode()).hexdigest()[:8],
        str(patient.uuid),
        str(patient.chart_version),
        clinic.updated_at.isoformat() if clinic.updated_at else "",
        clinic.today().isoformat(),
        translation.get_language() or "",
        _knowledge_fingerprint(),
        _template_fingerprint(template_name),
        dotted,
    ]
    return ":".join(parts)


def cached_fact(patient, name: str, compute):
    """A fact derived only from the patient's chart records (e.g. "has been assessed"), computed
    once per chart version; `compute()` returns a picklable value."""
    database = settings.DATABASES["default"]["NAME"]
    key = ":".join(
        [
            "chart-fact",
            hashlib.sha256(str(database).encode()).hexdigest()[:8],
            str(patient.uuid),
            str(patient.chart_version),
            name,
        ]
    )
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(key, found)
    return found


_MISSING = object()


def cached_section(dotted: str, template_name: str, build, request, patient) -> dict | None:
    """The section of `build(request, patient)` as {"html": ...}, from the cache when current.

    A section that is empty for this patient (None) is cached as empty too.
    """
    key = section_key(patient, dotted, template_name)
    html = cache.get(key)
    if html is None:
        section = build(request, patient)
        html = render_to_string(section["template"], {"ctx": section["context"]}) if section else ""
        cache.set(key, html)
    return {"html": mark_safe(html)} if html else None  # noqa: S308 - our own rendered template
