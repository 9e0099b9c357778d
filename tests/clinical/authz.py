"""Authorisation-matrix entries of the clinical area (pages under clinical/, API under
api/v1/clinical/). See tests/trust/authz_registry.py and docs/security.md.

Every clinical record is a clinical note: front desk (bob) gets 403, alice and olivia may open it,
another clinic's practitioner a 404. POST-only routes answer the matrix's GET with 405 to those
allowed; the access check runs first, so carol still gets a 404 and anonymous the login / 401.
"""

from tests.factories import (
    AdverseEventFactory,
    AssessmentFactory,
    ConsentFactory,
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)
from tests.trust.authz_registry import Route


def _patient(w, patient):
    return {"patient_uuid": patient.uuid}


def _assessment(w, patient):
    return {"assessment_uuid": AssessmentFactory(patient=patient, practitioner=w.alice).uuid}


def _finding(w, patient):
    assessment = AssessmentFactory(patient=patient, practitioner=w.alice)
    finding = assessment.findings.create(muscle_id="gluteus_medius", side="R")
    return {"assessment_uuid": assessment.uuid, "finding_id": finding.pk}


def _retest(w, patient):
    session = TreatmentSessionFactory(patient=patient, practitioner=w.alice)
    retest = session.retests.create(what="Lumbar flexion", before="30 degrees", after="45 degrees")
    return {"session_uuid": session.uuid, "retest_id": retest.pk}


def _course(w, patient):
    return {"course_uuid": CourseOfCareFactory(patient=patient, practitioner=w.alice).uuid}


def _consent(w, patient):
    return {"consent_uuid": ConsentFactory(patient=patient, explained_by=w.alice).uuid}


def _session(w, patient):
    return {"session_uuid": TreatmentSessionFactory(patient=patient, practitioner=w.alice).uuid}


def _row(w, patient):
    row = NeedlingRowFactory(session=TreatmentSessionFactory(patient=patient, practitioner=w.alice))
    return {"session_uuid": row.session.uuid, "row_id": row.pk}


def _event(w, patient):
    session = TreatmentSessionFactory(patient=patient, practitioner=w.alice)
    return {"event_uuid": AdverseEventFactory(session=session).uuid}


P = "clinical/patients/<uuid:patient_uuid>/"
A = "clinical/assessments/<uuid:assessment_uuid>/"
S = "clinical/sessions/<uuid:session_uuid>/"
API = "api/v1/clinical/"

AUTHZ = [
    # ---- pages ----
    Route(P + "assessment/", _patient, clinical=True),
    Route(P + "assessment/start/", _patient, clinical=True, status=405),
    Route(A, _assessment, clinical=True),
    Route(A + "findings/", _assessment, clinical=True, status=405),
    Route(A + "findings/<int:finding_id>/delete/", _finding, clinical=True, status=405),
    Route(A + "levels/", _assessment, clinical=True, status=405),
    Route(A + "sign/", _assessment, clinical=True, status=405),
    Route(A + "addendum/", _assessment, clinical=True, status=405),
    Route(P + "course/", _patient, clinical=True),
    Route("clinical/courses/<uuid:course_uuid>/status/", _course, clinical=True, status=405),
    Route(P + "consent/", _patient, clinical=True),
    Route("clinical/consents/<uuid:consent_uuid>/withdraw/", _consent, clinical=True, status=405),
    Route(P + "sessions/", _patient, clinical=True),
    Route(P + "sessions/start/", _patient, clinical=True, status=405),
    Route(S, _session, clinical=True),
    Route(S + "precheck/", _session, clinical=True, status=405),
    Route(S + "rows/", _session, clinical=True, status=405),
    Route(S + "rows/<int:row_id>/delete/", _row, clinical=True, status=405),
    Route(S + "repeat/", _session, clinical=True, status=405),
    Route(S + "adverse-events/", _session, clinical=True, status=405),
    Route(S + "clearance/", _session, clinical=True, status=405),
    Route(S + "retests/", _session, clinical=True, status=405),
    Route(S + "retests/<int:retest_id>/delete/", _retest, clinical=True, status=405),
    Route(S + "decision/", _session, clinical=True, status=405),
    Route(S + "sign/", _session, clinical=True, status=405),
    Route(S + "addendum/", _session, clinical=True, status=405),
    # ---- API ----
    Route(API + "patients/<uuidstr:patient_uuid>/assessments", _patient, clinical=True),
    Route(API + "assessments/<uuidstr:assessment_uuid>", _assessment, clinical=True),
    Route(API + "patients/<uuidstr:patient_uuid>/courses", _patient, clinical=True),
    Route(API + "courses/<uuidstr:course_uuid>", _course, clinical=True),
    Route(API + "patients/<uuidstr:patient_uuid>/sessions", _patient, clinical=True),
    Route(API + "sessions/<uuidstr:session_uuid>", _session, clinical=True),
    Route(API + "sessions/<uuidstr:session_uuid>/sign", _session, clinical=True, status=405),
    Route(API + "patients/<uuidstr:patient_uuid>/adverse-events", _patient, clinical=True),
    Route(API + "adverse-events/<uuidstr:event_uuid>", _event, clinical=True),
]
