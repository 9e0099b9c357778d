from django.urls import path

from imsclinic.clinical.views import assessment, gunn, misc, session

app_name = "clinical"
P = "patients/<uuid:patient_uuid>/"
S = "sessions/<uuid:session_uuid>/"
A = "assessments/<uuid:assessment_uuid>/"
urlpatterns = [
    path(P + "assessment/", assessment.assessment_tab, name="assessment-tab"),
    path(P + "assessment/start/", assessment.assessment_start, name="assessment-start"),
    path(A, assessment.assessment_detail, name="assessment"),
    path(A + "findings/", assessment.finding_add, name="finding-add"),
    path(A + "findings/<int:finding_id>/delete/", assessment.finding_delete, name="finding-delete"),
    path(A + "levels/", gunn.level_grid_save, name="assessment-levels"),
    path(A + "sign/", assessment.assessment_sign, name="assessment-sign"),
    path(A + "addendum/", assessment.assessment_addendum, name="assessment-addendum"),
    path(P + "course/", assessment.course_tab, name="course"),
    path("courses/<uuid:course_uuid>/status/", assessment.course_status, name="course-status"),
    path(P + "consent/", assessment.consent_record, name="consent"),
    path(
        "consents/<uuid:consent_uuid>/withdraw/",
        assessment.consent_withdraw,
        name="consent-withdraw",
    ),
    path("consent-text/", assessment.consent_text, name="consent-text"),
    path(P + "sessions/", session.sessions_tab, name="sessions"),
    path(P + "sessions/start/", session.session_start, name="session-start"),
    path(S, session.session_detail, name="session"),
    path(S + "precheck/", session.session_precheck, name="session-precheck"),
    path(S + "rows/", session.row_add, name="row-add"),
    path(S + "rows/<int:row_id>/delete/", session.row_delete, name="row-delete"),
    path(S + "repeat/", session.session_repeat, name="session-repeat"),
    path(S + "adverse-events/", session.adverse_event_add, name="adverse-event-add"),
    path(S + "clearance/", session.session_clearance, name="session-clearance"),
    path(S + "decision/", session.session_decision, name="session-decision"),
    path(S + "retests/", gunn.retest_add, name="retest-add"),
    path(S + "retests/<int:retest_id>/delete/", gunn.retest_delete, name="retest-delete"),
    path(S + "sign/", session.session_sign, name="session-sign"),
    path(S + "addendum/", session.session_addendum, name="session-addendum"),
    path("muscles/", misc.muscle_search, name="muscle-search"),
]
