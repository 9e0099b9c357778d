"""The route inventory: every URL the app serves is listed here as public or protected.

tests/core/test_routes.py fails when a route is missing from this list (so a new view cannot ship
without someone deciding who may reach it), when a listed route no longer exists, and when an
anonymous request to a protected route is not sent to login (pages) or refused with 401 (API).

Routes are written as Django's pattern strings, e.g. "patients/<uuid:patient_uuid>/".
Django's own admin (platform operators only) is covered as one prefix.
"""

from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC_ROUTES: set[str] = {
    "",  # the public front door for visitors; signed-in people go to their start page
    "clinics/<slug:clinic_slug>/",  # a clinic's public page (issue 15)
    "clinics/<slug:clinic_slug>/logo.png",  # its logo, shown on that page
    "healthz",
    "accounts/login/",
    "accounts/logout/",
    "accounts/password-reset/",
    "accounts/password-reset/sent/",
    "accounts/password-reset/<uidb64>/<token>/",
    "accounts/password-reset/complete/",
    "api/v1/openapi.json",
    "api/v1/docs",
    "api/v1/",  # django-ninja's root: lists nothing, reveals nothing
    # A payment provider's webhook: its signature is the credential (billing/online.py).
    "billing/online/webhook/",
    "bench/hello",  # the benchmark's ceiling: no data, no session, no database
    # Screening and online booking (issue 4): the public front door, per clinic slug.
    "screening/",
    "screening/<slug:clinic_slug>/",
    "screening/<slug:clinic_slug>/result/",
    "screening/<slug:clinic_slug>/contact/",
    "screening/<slug:clinic_slug>/book/",
    "screening/<slug:clinic_slug>/booked/",
    # The online booker's own visit: a signed, time-limited link from the confirmation email.
    "screening/<slug:clinic_slug>/manage/<str:token>/",
    "api/v1/screening",
    "portal/join/<str:token>/",  # one-time invitation token, hashed at rest
    "schedule/feed/<str:token>.ics",  # secret 256-bit token, hashed at rest, rotatable
    # A waitlist offer's answer page: a signed, time-limited link sent to one waiting patient.
    "schedule/waitlist/offer/<str:token>/",
    "clinic-admin/invitation/<uidb64>/<token>/",  # staff invitation: one-time signed token
}

PROTECTED_ROUTES: set[str] = {
    "bench/signed-in",  # the benchmark's signed-in floor (development tools only)
    "today/",
    # Billing (issue 16): front desk and clinic admins; the patient's own invoices in the portal.
    "billing/patients/<uuid:patient_uuid>/",
    "billing/patients/<uuid:patient_uuid>/coverage/",
    "billing/patients/<uuid:patient_uuid>/invoices/new/",
    "billing/appointments/<uuid:appointment_uuid>/invoice/",
    "billing/invoices/<uuid:invoice_uuid>/",
    "billing/invoices/<uuid:invoice_uuid>/<slug:step>/",
    "billing/invoices/<uuid:invoice_uuid>/<slug:kind>.pdf",
    "billing/patients/<uuid:patient_uuid>/statement-<int:year>.pdf",
    "billing/portal/invoices/<uuid:invoice_uuid>/<slug:kind>.pdf",
    "billing/portal/invoices/<uuid:invoice_uuid>/pay/",  # the patient pays online (POST)
    "billing/portal/statement-<int:year>.pdf",
    "billing/reports/",
    "billing/reports/<slug:name>/",
    "billing/reports/<slug:name>.csv",
    "billing/reports/accountant.csv",
    "api/v1/billing/invoices",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/lines",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/shares",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/issue",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/void",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/credit-notes",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/payments",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/claims",
    "api/v1/billing/invoices/<uuidstr:invoice_uuid>/checkout",
    "api/v1/billing/payments",
    "api/v1/billing/payments/<uuidstr:payment_uuid>",
    "api/v1/billing/payments/<uuidstr:payment_uuid>/refunds",
    "api/v1/billing/patients/<uuidstr:patient_uuid>/coverage",
    "api/v1/billing/claims",
    "api/v1/billing/claims/<uuidstr:claim_uuid>",
    "api/v1/billing/claims/<uuidstr:claim_uuid>/decision",
    "api/v1/billing/reports/close-out",
    "api/v1/billing/reports/revenue",
    "clinics/<slug:clinic_slug>/edit/",  # the clinic admin edits the public page
    # Clinical (issue 5): assessment, course, consent, sessions.
    "clinical/patients/<uuid:patient_uuid>/assessment/",
    "clinical/patients/<uuid:patient_uuid>/assessment/start/",
    "clinical/assessments/<uuid:assessment_uuid>/",
    "clinical/assessments/<uuid:assessment_uuid>/findings/",
    "clinical/assessments/<uuid:assessment_uuid>/findings/<int:finding_id>/delete/",
    "clinical/assessments/<uuid:assessment_uuid>/levels/",
    "clinical/assessments/<uuid:assessment_uuid>/sign/",
    "clinical/assessments/<uuid:assessment_uuid>/addendum/",
    "clinical/patients/<uuid:patient_uuid>/course/",
    "clinical/courses/<uuid:course_uuid>/status/",
    "clinical/patients/<uuid:patient_uuid>/consent/",
    "clinical/consents/<uuid:consent_uuid>/withdraw/",
    "clinical/consent-text/",
    "clinical/sessions/<uuid:session_uuid>/retests/",
    "clinical/sessions/<uuid:session_uuid>/retests/<int:retest_id>/delete/",
    "clinical/patients/<uuid:patient_uuid>/sessions/",
    "clinical/patients/<uuid:patient_uuid>/sessions/start/",
    "clinical/sessions/<uuid:session_uuid>/",
    "clinical/sessions/<uuid:session_uuid>/precheck/",
    "clinical/sessions/<uuid:session_uuid>/rows/",
    "clinical/sessions/<uuid:session_uuid>/rows/<int:row_id>/delete/",
    "clinical/sessions/<uuid:session_uuid>/repeat/",
    "clinical/sessions/<uuid:session_uuid>/adverse-events/",
    "clinical/sessions/<uuid:session_uuid>/clearance/",
    "clinical/sessions/<uuid:session_uuid>/decision/",
    "clinical/sessions/<uuid:session_uuid>/sign/",
    "clinical/sessions/<uuid:session_uuid>/addendum/",
    "clinical/muscles/",
    "api/v1/clinical/patients/<uuidstr:patient_uuid>/assessments",
    "api/v1/clinical/assessments/<uuidstr:assessment_uuid>",
    "api/v1/clinical/patients/<uuidstr:patient_uuid>/courses",
    "api/v1/clinical/courses/<uuidstr:course_uuid>",
    "api/v1/clinical/patients/<uuidstr:patient_uuid>/sessions",
    "api/v1/clinical/sessions/<uuidstr:session_uuid>",
    "api/v1/clinical/patients/<uuidstr:patient_uuid>/adverse-events",
    "api/v1/clinical/adverse-events/<uuidstr:event_uuid>",
    "api/v1/clinical/sessions/<uuidstr:session_uuid>/sign",
    "clinic/switch/",
    "patients/",
    "patients/new/",
    "patients/<uuid:patient_uuid>/",
    "patients/<uuid:patient_uuid>/edit/",
    "patients/<uuid:patient_uuid>/access-log/",
    "patients/<uuid:patient_uuid>/duplicates/",
    "patients/<uuid:patient_uuid>/merge/",
    "portal/",
    "accounts/2fa/",
    "accounts/2fa/confirm/",
    "accounts/2fa/setup/",
    "accounts/2fa/verify/",
    "api/v1/patients",
    "api/v1/patients/<uuidstr:patient_uuid>",
    "api/v1/patients/<uuidstr:patient_uuid>/duplicates",
    "api/v1/patients/<uuidstr:patient_uuid>/merge",
    # outcomes and reports (issue 6)
    "outcomes/patients/<uuid:patient_uuid>/",
    "outcomes/patients/<uuid:patient_uuid>/record/<slug:instrument_id>/",
    "outcomes/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/discharge/",
    "outcomes/instruments/",
    "outcomes/analytics/",
    "outcomes/analytics/export.csv",
    "outcomes/network/",
    "outcomes/portal/<slug:instrument_id>/",
    "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>/",
    "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>.pdf",
    "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>/edit/",
    "reports/analytics.pdf",
    "api/v1/outcomes/patients/<uuidstr:patient_uuid>/responses",
    "api/v1/outcomes/patients/<uuidstr:patient_uuid>/scores",
    # Screening queue, scheduling and portal (issue 4).
    "screening/requests/",
    "screening/requests/<uuid:request_uuid>/",
    "screening/requests/<uuid:request_uuid>/status/",
    "screening/requests/<uuid:request_uuid>/patient/",
    "screening/requests/<uuid:request_uuid>/attach/",
    "schedule/",
    "schedule/book/",
    "schedule/appointments/<uuid:appointment_uuid>/",
    "schedule/appointments/<uuid:appointment_uuid>/status/",
    "schedule/appointments/<uuid:appointment_uuid>/cancel/",
    "schedule/appointments/<uuid:appointment_uuid>/reschedule/",
    "schedule/appointments/<uuid:appointment_uuid>/video-link/",
    "schedule/calendar/",
    "schedule/closures/",
    "schedule/closures/add/",
    "schedule/closures/holidays/",
    "schedule/closures/<uuid:row_uuid>/remove/",
    "schedule/availability/",
    "schedule/availability/add/",
    "schedule/availability/exceptions/add/",
    "schedule/availability/<uuid:row_uuid>/remove/",
    "schedule/availability/exceptions/<uuid:row_uuid>/remove/",
    "schedule/feed/",
    "schedule/instructions/",
    # The waitlist (issue 15).
    "schedule/waitlist/",
    "schedule/waitlist/add/",
    "schedule/waitlist/matches/",
    "schedule/waitlist/offer/",
    "schedule/waitlist/<uuid:entry_uuid>/",
    "schedule/waitlist/<uuid:entry_uuid>/withdraw/",
    "schedule/waitlist/<uuid:entry_uuid>/book/",
    "portal/book/",
    "portal/intake/",
    "portal/pain-drawing/",  # the patient's own pain drawing (issue 17)
    "portal/appointments/<uuid:appointment_uuid>/cancel/",
    "portal/waitlist/",  # the patient's own waitlist entries
    "portal/waitlist/<uuid:entry_uuid>/leave/",
    "portal/invite/<uuid:patient_uuid>/",
    "api/v1/scheduling/appointments",
    "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>",
    "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/status",
    "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/cancel",
    "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/reschedule",
    "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/video-link",
    "api/v1/scheduling/appointments/<uuidstr:appointment_uuid>/notifications",
    "api/v1/scheduling/closures",
    "api/v1/scheduling/closures/holidays",
    "api/v1/scheduling/closures/<uuidstr:closure_uuid>",
    "api/v1/scheduling/slots",
    "api/v1/scheduling/waitlist",
    "api/v1/scheduling/waitlist/matches",
    "api/v1/scheduling/waitlist/<uuidstr:entry_uuid>",
    "api/v1/scheduling/waitlist/<uuidstr:entry_uuid>/withdraw",
    "api/v1/scheduling/waitlist/<uuidstr:entry_uuid>/book",
    # interop: FHIR R4, practitioners, exports
    "api/v1/fhir",
    "api/v1/fhir/$export",
    "api/v1/fhir/Patient",
    "api/v1/fhir/Patient/<uuidstr:patient_uuid>",
    "api/v1/fhir/Patient/<uuidstr:patient_uuid>/$everything",
    "api/v1/fhir/Practitioner/<uuidstr:user_uuid>",
    "api/v1/fhir/PractitionerRole/<role_id>",
    "api/v1/fhir/Organization/<uuidstr:clinic_uuid>",
    "api/v1/fhir/Questionnaire/<questionnaire_id>",
    "api/v1/fhir/Encounter/<resource_id>",
    "api/v1/fhir/Condition/<resource_id>",
    "api/v1/fhir/Procedure/<resource_id>",
    "api/v1/fhir/Device/<resource_id>",
    "api/v1/fhir/Observation/<resource_id>",
    "api/v1/fhir/CarePlan/<resource_id>",
    "api/v1/fhir/Consent/<resource_id>",
    "api/v1/fhir/AdverseEvent/<resource_id>",
    "api/v1/fhir/QuestionnaireResponse/<resource_id>",
    # FHIR billing resources (issue 16): front desk and clinic admins.
    "api/v1/fhir/Coverage/<resource_id>",
    "api/v1/fhir/Invoice/<resource_id>",
    "api/v1/fhir/ChargeItem/<resource_id>",
    "api/v1/fhir/PaymentReconciliation/<resource_id>",
    "api/v1/fhir/Claim/<resource_id>",
    "api/v1/fhir/ClaimResponse/<resource_id>",
    "api/v1/practitioners",
    "api/v1/practitioners/<uuidstr:user_uuid>",
    "api/v1/exports/csv",
    "interop/portal/record/",
    "interop/portal/record.pdf",
    "interop/portal/record.fhir.json",
    "interop/portal/appointments.ics",
    "interop/exports/",
    "interop/exports/csv/",
    "interop/exports/fhir/",
    "api-tokens/",
    "api-tokens/<uuid:token_uuid>/revoke/",
    # Clinic administration (issue 15): clinic admin only.
    "clinic-admin/",
    "profile/",  # the signed-in staff member's own profile and credentials (issue 17)
    "clinic-admin/<uuid:clinic_uuid>/staff/",
    "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/",
    "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/roles/",
    "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/registrations/",
    "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/authorisations/",
    "clinic-admin/<uuid:clinic_uuid>/staff/<uuid:user_uuid>/offboard/",
    "clinic-admin/<uuid:clinic_uuid>/settings/",
    "clinic-admin/<uuid:clinic_uuid>/logo/",
    "clinic-admin/<uuid:clinic_uuid>/services/",
    "clinic-admin/<uuid:clinic_uuid>/services/<uuid:service_uuid>/",
    "clinic-admin/<uuid:clinic_uuid>/services/<uuid:service_uuid>/active/",
    "api/v1/admin/staff",
    "api/v1/admin/staff/<uuidstr:user_uuid>",
    "api/v1/admin/services",
    "api/v1/admin/services/<uuidstr:service_uuid>",
}

# Prefixes whose routes protect themselves wholesale (Django admin: superusers only).
PROTECTED_PREFIXES: tuple[str, ...] = ("django-admin/",)


def iter_routes(resolver=None, prefix: str = ""):
    """Yield (pattern string, URLPattern) for every concrete route."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern.startswith(PROTECTED_PREFIXES):
                continue
            yield from iter_routes(entry, pattern)
        elif isinstance(entry, URLPattern):
            yield pattern.lstrip("^").rstrip("$"), entry
