"""Report generation: every generation (HTML or PDF) is audited."""

from django.db import transaction

from imsclinic.audit.services import record
from imsclinic.reports import pdf


@transaction.atomic
def generate_report(*, patient, course, kind: str, fmt: str, by):
    """Render a progress report or discharge summary as "html" (str) or "pdf" (bytes) and
    record `report.<kind>.<fmt>` in the audit trail."""
    if kind not in pdf.KINDS or fmt not in ("html", "pdf"):
        raise ValueError(f"Unknown report {kind!r} / format {fmt!r}.")
    context = pdf.report_context(patient=patient, course=course, kind=kind)
    output = pdf.render_pdf(context) if fmt == "pdf" else pdf.render_html(context, for_pdf=False)
    record(
        by=by,
        action=f"report.{kind}.{fmt}",
        target=course,
        patient=patient,
        summary=f"Generated {pdf.KINDS[kind].lower()} ({fmt.upper()})",
        details={"kind": kind, "format": fmt},
    )
    return output
