"""The route inventory: every URL the app serves is listed here as public or protected.

tests/core/test_routes.py fails when a route is missing from this list (so a new view cannot ship
without someone deciding who may reach it), when a listed route no longer exists, and when an
anonymous request to a protected route is not sent to login (pages) or refused with 401 (API).

Routes are written as Django's pattern strings, e.g. "patients/<uuid:patient_uuid>/".
Django's own admin (platform operators only) is covered as one prefix.
"""

from django.urls import URLPattern, URLResolver, get_resolver

PUBLIC_ROUTES: set[str] = {
    "",  # redirects to login or to the user's start page
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
}

PROTECTED_ROUTES: set[str] = {
    "today/",
    "clinic/switch/",
    "patients/",
    "patients/new/",
    "patients/<uuid:patient_uuid>/",
    "patients/<uuid:patient_uuid>/edit/",
    "patients/<uuid:patient_uuid>/access-log/",
    "portal/",
    "accounts/2fa/",
    "accounts/2fa/setup/",
    "accounts/2fa/verify/",
    "api/v1/patients",
    "api/v1/patients/<uuidstr:patient_uuid>",
    # outcomes and reports (issue 6)
    "outcomes/patients/<uuid:patient_uuid>/",
    "outcomes/patients/<uuid:patient_uuid>/record/<slug:instrument_id>/",
    "outcomes/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/discharge/",
    "outcomes/instruments/",
    "outcomes/analytics/",
    "outcomes/analytics/export.csv",
    "outcomes/portal/<slug:instrument_id>/",
    "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>/",
    "reports/patients/<uuid:patient_uuid>/courses/<uuid:course_uuid>/<slug:kind>.pdf",
    "api/v1/outcomes/patients/<uuidstr:patient_uuid>/responses",
    "api/v1/outcomes/patients/<uuidstr:patient_uuid>/scores",
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
    "api/v1/practitioners",
    "api/v1/practitioners/<uuidstr:user_uuid>",
    "api/v1/exports/csv",
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
