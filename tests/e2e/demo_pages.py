"""The demo clinic for the accessibility and layout browser tests, and the pages to visit.

The demo clinic (imsclinic.web.demo) has every kind of record a clinic has on a working day, so
its pages show real tables, alerts and forms. URLs are found from its records, never typed ids.
"""

from django.db.models import F
from django.urls import reverse

from imsclinic.clinical.models import Assessment, TreatmentSession
from imsclinic.scheduling.models import Appointment
from imsclinic.web.demo import DEMO_PASSWORDS, build_demo


def build(clinic_patients: int = 6):
    context = build_demo(patients=clinic_patients, seed=4)
    clinic = context.clinic
    practitioner = context.users["practitioner"]
    session = (
        TreatmentSession.objects.filter(clinic=clinic, practitioner=practitioner)
        .order_by(F("signed_at").asc(nulls_first=True), "-started_at")
        .first()
    )
    assessment = (
        Assessment.objects.filter(clinic=clinic, practitioner=practitioner)
        .order_by(F("signed_at").asc(nulls_first=True))
        .first()
    )
    if session.is_signed:
        session = _draft_like(session)
    appointment = Appointment.objects.filter(clinic=clinic).order_by("starts_at").first()
    patient = session.patient
    return {
        "clinic": clinic,
        "session": reverse("clinical:session", args=[session.uuid]),
        "assessment": reverse("clinical:assessment", args=[assessment.uuid]),
        "chart": reverse("patients:chart", args=[patient.uuid]),
        "sessions": reverse("clinical:sessions", args=[patient.uuid]),
        "course": reverse("clinical:course", args=[patient.uuid]),
        "consent": reverse("clinical:consent", args=[patient.uuid]),
        "outcomes": reverse("outcomes:tab", args=[patient.uuid]),
        "appointment": reverse("scheduling:appointment", args=[appointment.uuid]),
    }


def _draft_like(signed):
    """A draft next session charting the same muscles: the page with the row form and the full
    needling table, as a practitioner sees it mid-session."""
    from django.db.models import Max

    from tests.factories.clinical import NeedlingRowFactory, TreatmentSessionFactory

    last = TreatmentSession.objects.filter(patient=signed.patient).aggregate(
        n=Max("session_number")
    )
    draft = TreatmentSessionFactory(
        patient=signed.patient,
        practitioner=signed.practitioner,
        course=signed.course,
        session_number=last["n"] + 1,
        precheck={},
    )
    for row in signed.needling_rows.all():
        NeedlingRowFactory(
            session=draft,
            order=row.order,
            muscle_id=row.muscle_id,
            side=row.side,
            depth_mm=row.depth_mm,
            response=row.response,
            tolerance=row.tolerance,
        )
    return draft


def passwords():
    return DEMO_PASSWORDS
