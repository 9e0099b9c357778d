"""Schemathesis against /api/v1/openapi.json, authenticated as the demo practitioner: every
operation of every area, positive and negative (schema-violating) inputs, and every check
schemathesis registers (what `--checks all` runs): no server error, status codes, content types,
headers and bodies as the schema declares them, schema-violating input refused, conforming input
accepted, required headers, unsupported methods and the Allow header, auth and use-after-free.
The stateful checks (use-after-free, resource availability) judge only sequences of calls, which
this per-operation run does not record; tests/trust/test_authz_matrix.py covers access properly.

The operations are driven by hand (one Hypothesis run per operation and generation mode) rather
than with `schemathesis.pytest.from_fixture`, whose lazy loader reads pytest internals that pytest
9 removes. Every failure is collected and reported with the operation and the curl command that
reproduces it. The exclusions are listed, each with its reason, below.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import CHECKS, is_check_class, load_all_checks
from schemathesis.generation.modes import GenerationMode

from imsclinic.accounts.models import User
from imsclinic.gateway import actions as token_actions
from imsclinic.web.demo import build_demo
from tests.module_data import rolled_back_for_the_module

pytestmark = pytest.mark.django_db

# Examples per operation and mode. Each run is derandomized (the same cases every run), and with
# three runs over ~90 operations in two modes this is about 1,500 requests: what an API bug that
# any input trips will meet. Raise it locally when changing the API (`IMSCLINIC_FUZZ_EXAMPLES=50 pytest ...`).
MAX_EXAMPLES = int(os.environ.get("IMSCLINIC_FUZZ_EXAMPLES", "6"))

# `positive_data_acceptance` expects every schema-valid request to succeed. These operations
# apply rules that OpenAPI cannot state, and refuse a schema-valid request that breaks one with
# a 422 naming the field (the rules are tested in their areas):
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/v1/patients": "the registry form's rules: a valid email address, a phone of 7-15 "
    "digits, a date of birth in the past, a non-blank name (tests/patients)",
    "POST /api/v1/clinical/patients/{patient_uuid}/sessions": "needling rules: depths to one "
    "decimal place, known muscles and levels, an active course (tests/clinical)",
    "POST /api/v1/fhir/Patient": "the body is a FHIR R4 Patient validated by fhir.resources and "
    "the registry form; OpenAPI only says 'an object' (tests/interop/test_import.py)",
    "POST /api/v1/patients/{patient_uuid}/merge": "the duplicate must be another active chart "
    "of the same clinic: 404 or 409 otherwise (tests/patients/test_duplicates_api.py)",
    "POST /api/v1/billing/invoices": "exactly one of 'appointment' (a visit) or 'patient' "
    "(by hand): 422 naming the rule otherwise (tests/billing/test_api.py)",
    "POST /api/v1/fhir": "the body is a FHIR R4 Bundle of Patients, validated the same way "
    "(tests/interop/test_import.py)",
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One demo network for the module's runs (each test's own writes roll back with it)."""
    with rolled_back_for_the_module(django_db_blocker):
        yield build_demo(patients=12, seed=5)


def all_response_checks():
    """Every built-in check that judges one response (what `--checks all` runs per response)."""
    load_all_checks()
    return [check for check in CHECKS.get_all() if not is_check_class(check)]


@pytest.fixture
def wsgi_app():
    # The WSGI handler closes the database connection after each request; inside a test
    # transaction that would close the test's own connection (Django's test client does the same).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def fuzz(operation, mode, *, checks, excluded, headers):
    """One Hypothesis run of `operation` in `mode`, every response validated by `checks`."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        # Each request in its own savepoint: on PostgreSQL a failed statement would otherwise
        # abort the test's transaction and turn every later request into a 500.
        savepoint = transaction.savepoint()
        response = case.call(headers=headers)
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
        else:
            transaction.savepoint_commit(savepoint)
        case.validate_response(response, checks=checks, excluded_checks=excluded, headers=headers)

    run()


def run_operations(schema, checks, headers, *, only: str = "", skip: str = "\0"):
    """Fuzz every operation whose path contains `only` and not `skip`, in both modes;
    (failures, labels)."""
    positive_acceptance = next(c for c in checks if c.__name__ == "positive_data_acceptance")
    failures, tested = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if only not in operation.path or skip in operation.path:
            continue
        tested.append(operation.label)
        excluded = [positive_acceptance] if operation.label in RULES_BEYOND_THE_SCHEMA else []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, checks=checks, excluded=excluded, headers=headers)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup
                failures.append((f"{operation.label} [{mode.value}]", str(exc)[:1500]))
    return failures, tested


def test_api_passes_every_schemathesis_check(demo, wsgi_app, settings):
    # The API's per-token rate limit would answer 429 (documented) to most of this run and hide
    # the other checks; the limit itself is tested in tests/trust/test_rate_limits.py.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "100000/m"}
    practitioner = User.objects.get(username="practitioner")
    _, raw = token_actions.create_personal_token(user=practitioner, by=None, name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    # The API refuses NUL anywhere in a body (PostgreSQL cannot store it); the schema says so
    # for every declared string and key, but an undeclared extra property's value is free-form
    # JSON the schema cannot constrain, so generation leaves NUL out. NUL refusal is proven in
    # tests/trust/test_bad_input.py.
    schema.config.generation.update(allow_x00=False)
    checks = all_response_checks()
    assert len(checks) >= 10

    # Billing is the front desk's and the clinic admin's: the practitioner only meets its 403s,
    # which the authorisation matrix tests; the front desk fuzzes billing below.
    failures, tested = run_operations(schema, checks, headers, skip="/billing/")
    assert any("/fhir/Patient/{patient_uuid}/$everything" in label for label in tested)
    waitlist = {label for label in tested if "/scheduling/waitlist" in label}
    assert len(waitlist) == 6, sorted(waitlist)  # list, create, one, matches, withdraw, book
    rules = {label for label in RULES_BEYOND_THE_SCHEMA if "/billing/" not in label}
    assert rules <= set(tested), "an explained exclusion names no operation"
    assert len(tested) >= 20
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures)


def test_billing_api_as_front_desk_passes_every_schemathesis_check(demo, wsgi_app, settings):
    """The practitioner's run above meets mostly 403s on billing (front desk and clinic admins
    bill); the front desk drives every billing operation past the role check, against the demo
    clinic's invoices, payments, coverage and claims."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "100000/m"}
    front_desk = User.objects.get(username="frontdesk")
    _, raw = token_actions.create_personal_token(user=front_desk, by=None, name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    schema.config.generation.update(allow_x00=False)
    failures, tested = run_operations(schema, all_response_checks(), headers, only="/billing/")
    assert "POST /api/v1/billing/invoices/{invoice_uuid}/payments" in tested
    billing_rules = {label for label in RULES_BEYOND_THE_SCHEMA if "/billing/" in label}
    assert billing_rules and billing_rules <= set(tested)
    assert len(tested) >= 20
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures)


def test_date_zero_is_refused(demo, client):
    """`date=0` is not a date (pydantic alone would read it as 1970-01-01)."""
    practitioner = User.objects.get(username="practitioner")
    _, raw = token_actions.create_personal_token(user=practitioner, by=None, name="t")
    response = client.get(
        "/api/v1/scheduling/appointments", {"date": "0"}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 422


# Issue 15's operations, fuzzed again as the demo clinic admin (the run above is the
# practitioner's, who gets 403 from the admin scope): staff and roles, services, closures,
# reschedule, video links, the reminders' outbox, duplicates and merge.
ISSUE_15_OPERATIONS = (
    "/api/v1/admin/",
    "/api/v1/scheduling/closures",
    "/api/v1/scheduling/appointments/{appointment_uuid}/reschedule",
    "/api/v1/scheduling/appointments/{appointment_uuid}/video-link",
    "/api/v1/scheduling/appointments/{appointment_uuid}/notifications",
    "/api/v1/patients/{patient_uuid}/duplicates",
    "/api/v1/patients/{patient_uuid}/merge",
)
# Refusals the schema cannot state, answered with a declared 409 and a reason (tested in
# tests/clinics/test_api.py and tests/scheduling): a service name the clinic already has, a
# video link Django's URL validator refuses (e.g. "https://0"), a course that meets a closure.
ADMIN_RULES_BEYOND_THE_SCHEMA = {
    "POST /api/v1/admin/services",
    "PATCH /api/v1/admin/services/{service_uuid}",
    "POST /api/v1/scheduling/closures",
    "POST /api/v1/scheduling/closures/holidays",
    "POST /api/v1/scheduling/appointments/{appointment_uuid}/reschedule",
    "POST /api/v1/scheduling/appointments/{appointment_uuid}/video-link",
    "POST /api/v1/patients/{patient_uuid}/merge",
}


def test_issue_15_operations_pass_every_check_as_the_clinic_admin(demo, wsgi_app, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "100000/m"}
    admin = User.objects.get(username="admin")
    _, raw = token_actions.create_personal_token(user=admin, by=None, name="schemathesis-admin")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    schema.config.generation.update(allow_x00=False)
    checks = all_response_checks()
    positive_acceptance = next(c for c in checks if c.__name__ == "positive_data_acceptance")
    failures, tested = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(ISSUE_15_OPERATIONS):
            continue
        tested.append(operation.label)
        excluded = [positive_acceptance] if operation.label in ADMIN_RULES_BEYOND_THE_SCHEMA else []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, checks=checks, excluded=excluded, headers=headers)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup
                failures.append((f"{operation.label} [{mode.value}]", str(exc)[:1500]))
    assert {"GET /api/v1/admin/staff", "PUT /api/v1/admin/staff/{user_uuid}"} <= set(tested)
    assert len(tested) >= 12, tested
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures)
