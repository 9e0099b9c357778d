"""The clinical demo step: realistic records, and the practitioner can chart at once."""

import pytest

from imsclinic.clinical import actions
from imsclinic.clinical.models import AdverseEvent, Assessment, TreatmentSession, consent_problems
from imsclinic.clinical.today import due_courses
from imsclinic.web.demo import build_demo

pytestmark = pytest.mark.django_db


def test_demo_builds_signed_records_and_work_for_today():
    ctx = build_demo(patients=40, seed=3)
    practitioner = ctx.users["practitioner"]
    assert Assessment.objects.signed().count() >= 25
    assert TreatmentSession.objects.unsigned().count() == 0
    sessions = TreatmentSession.objects.all()
    assert sessions.count() >= 40
    assert all(s.needles_in == s.needles_out for s in sessions)
    assert not AdverseEvent.objects.filter(severity="serious").count() > 2

    today = ctx.clinic.today()
    due = due_courses(ctx.clinic, practitioner, today)
    patients = {course.patient for course in due}
    assert ctx.extras["portal_patient"] in patients and len(patients) >= 4
    # Charting one of them from scratch signs cleanly: consent, authorisation, no blocks.
    patient = ctx.extras["portal_patient"]
    assert consent_problems(patient, thorax=True) == [] or consent_problems(patient) == []
    session = actions.start_session(patient=patient, by=practitioner)
    assert actions.repeat_last_session(session=session, by=practitioner) >= 1
    # Repeated rows copy the sites only; today's response and tolerance are charted as observed.
    for row in session.needling_rows.all():
        actions.update_needling_row(
            row=row, by=practitioner, values={"response": "twitch", "tolerance": "good"}
        )
    actions.update_session(
        session=session,
        by=practitioner,
        fields={
            "precheck": {"checked": True, "items": []},
            "needles_in": 10,
            "needles_out": 10,
            "clean_technique": {"skin_prep": True, "hand_hygiene": True, "sharps": True},
        },
    )
    session.refresh_from_db()
    assert actions.session_refusals(session, by=practitioner) == []
