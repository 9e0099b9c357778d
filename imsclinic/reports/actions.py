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
    issued = latest_report(course=course, kind=kind)
    signer = None
    if issued is None or not issued.is_issued:
        signer = signer_details(course.practitioner, course.clinic)
    context = pdf.report_context(
        patient=patient, course=course, kind=kind, issued=issued, signer=signer
    )
    output = pdf.cached_pdf(context) if fmt == "pdf" else pdf.render_html(context, for_pdf=False)
    _record_generation(patient=patient, course=course, kind=kind, fmt=fmt, by=by)
    return output


def prefilled_text(*, patient, course, kind: str) -> dict:
    """The recipient, narrative and plan a new report starts with, from the record."""
    return pdf.report_context(patient=patient, course=course, kind=kind)


def generate_analytics_pdf(*, clinic, filters, report: dict, figures: list, by) -> bytes:
    """Print the clinic analytics (outside any transaction), then audit the generation."""
    from django.template.loader import render_to_string

    html = render_to_string(
        "reports/analytics.html",
        {
            "clinic": clinic,
            "filters": filters,
            "report": report,
            "figures": figures,
            "generated_on": clinic.today(),
            "for_pdf": True,
        },
    )
    output = pdf.write_pdf(html)
    _record_analytics_generation(clinic=clinic, filters=filters, by=by)
    return output


@transaction.atomic
def _record_analytics_generation(*, clinic, filters, by) -> None:
    record(
        by=by,
        action="analytics.export.pdf",
        clinic=clinic,
        summary="Generated the clinic analytics (PDF)",
        details={
            "filters": {
                "start": str(filters.start or ""),
                "end": str(filters.end or ""),
                "condition": filters.condition,
                "instrument": filters.instrument.id,
            }
        },
    )


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


class ReportError(Exception):
    """A report cannot be saved or issued; the message says why and what to do."""


def _require_practitioner(*, by, clinic) -> None:
    from imsclinic.accounts.models import Role

    if not by.has_role(clinic, Role.PRACTITIONER):
        raise ReportError("Only a practitioner of this clinic can write or issue a report.")


def signer_registration(user, clinic):
    """The user's professional registration in the clinic's jurisdiction (the latest expiry
    first), or None."""
    today = clinic.today()
    registrations = user.registrations.filter(jurisdiction=clinic.jurisdiction).exclude(
        expires_on__lt=today
    )
    return registrations.order_by("-expires_on", "-id").first()


def signer_details(user, clinic) -> dict:
    """Name, designation and registration as a report prints them (for a draft: as of today)."""
    registration = signer_registration(user, clinic)
    return {
        "name": user.display_name,
        "designation": registration.profession if registration else "",
        "registration": (
            f"{registration.regulator}, registration no. {registration.number}"
            if registration
            else ""
        ),
    }


def draft_for(*, course, kind: str):
    """The report being written for this course and kind (the latest not yet issued), or None."""
    from imsclinic.reports.models import IssuedReport

    return (
        IssuedReport.objects.filter(course=course, kind=kind, issued_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def latest_report(*, course, kind: str):
    """The report a generation shows: the draft being written, else the last one issued."""
    from imsclinic.reports.models import IssuedReport

    return draft_for(course=course, kind=kind) or (
        IssuedReport.objects.filter(course=course, kind=kind, issued_at__isnull=False)
        .order_by("-issued_at")
        .first()
    )


@transaction.atomic
def save_report_draft(
    *,
    patient,
    course,
    kind: str,
    recipient_name: str,
    recipient_address: str,
    cover_letter: str,
    narrative: str,
    plan: str,
    by,
):
    """Create or update the draft report of this course and kind."""
    from imsclinic.reports.models import IssuedReport

    if kind not in pdf.KINDS:
        raise ReportError("Choose a progress report or a discharge summary.")
    _require_practitioner(by=by, clinic=course.clinic)
    narrative, plan = narrative.strip(), plan.strip()
    if not narrative:
        raise ReportError("Write the narrative: a few sentences on the course so far.")
    if not plan:
        raise ReportError("Write the plan.")
    report = (
        IssuedReport.objects.select_for_update()
        .filter(course=course, kind=kind, issued_at__isnull=True)
        .order_by("-created_at")
        .first()
    ) or IssuedReport(
        clinic=course.clinic, patient=patient, course=course, kind=kind, written_by=by
    )
    report.recipient_name = recipient_name.strip()
    report.recipient_address = recipient_address.strip()
    report.cover_letter = cover_letter.strip()
    report.narrative, report.plan, report.written_by = narrative, plan, by
    report.full_clean()
    report.save()
    record(
        by=by,
        action=f"report.{kind}.draft",
        target=report,
        patient=patient,
        summary=f"Saved a draft {pdf.KINDS[kind].lower()}",
        details={"fields": ["recipient", "cover_letter", "narrative", "plan"]},
    )
    return report


@transaction.atomic
def issue_report(*, report, by):
    """Issue a draft: freeze its text and record the signer's name, designation and
    registration in the clinic's jurisdiction. Refused without a current registration there."""
    from django.utils import timezone

    from imsclinic.reports.models import IssuedReport

    clinic = report.clinic
    _require_practitioner(by=by, clinic=clinic)
    locked = IssuedReport.objects.select_for_update().get(pk=report.pk)
    if locked.is_issued:
        raise ReportError("This report was already issued; write a new one to change it.")
    registration = signer_registration(by, clinic)
    if registration is None:
        raise ReportError(
            f"You have no current professional registration in {clinic.region} on your "
            "profile, so the report cannot carry your registration number. A site administrator "
            "adds it under Admin, Professional registrations."
        )
    locked.issued_at = timezone.now()
    locked.signer_name = by.display_name
    locked.signer_designation = registration.profession
    locked.signer_registration = f"{registration.regulator}, registration no. {registration.number}"
    locked.written_by = by
    locked.save()
    record(
        by=by,
        action=f"report.{locked.kind}.issue",
        target=locked,
        patient=locked.patient,
        summary=f"Issued {pdf.KINDS[locked.kind].lower()}"
        + (f" to {locked.recipient_name}" if locked.recipient_name else ""),
        details={"recipient": locked.recipient_name},
    )
    return locked
