"""Report generation: every generation (HTML or PDF) is audited.

Rendering takes no write lock: the report is built and printed first, outside any transaction,
and the audit event is then recorded in a transaction of its own that lasts a few milliseconds.
On SQLite a write transaction holds the database's one write lock, and a PDF printed inside one
froze every chart view of the clinic (each needs the lock for its access-log row) for as long as
WeasyPrint ran.
"""

from django.db import transaction

from imsclinic.audit.services import record
from imsclinic.reports import pdf


def generate_report(*, patient, course, kind: str, fmt: str, by):
    """Render a progress report or discharge summary as "html" (str) or "pdf" (bytes) and
    record `report.<kind>.<fmt>` in the audit trail. A PDF is printed once per report version
    (pdf.cached_pdf); every generation is audited, from the cache or not."""
    if kind not in pdf.KINDS or fmt not in ("html", "pdf"):
        raise ValueError(f"Unknown report {kind!r} / format {fmt!r}.")
    context = pdf.report_context(patient=patient, course=course, kind=kind)
    output = pdf.cached_pdf(context) if fmt == "pdf" else pdf.render_html(context, for_pdf=False)
    _record_generation(patient=patient, course=course, kind=kind, fmt=fmt, by=by)
    return output


@transaction.atomic
def _record_generation(*, patient, course, kind: str, fmt: str, by) -> None:
    record(
        by=by,
        action=f"report.{kind}.{fmt}",
        target=course,
        patient=patient,
        summary=f"Generated {pdf.KINDS[kind].lower()} ({fmt.upper()})",
        details={"kind": kind, "format": fmt},
    )
