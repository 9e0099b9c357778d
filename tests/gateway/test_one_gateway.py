"""One gateway: every read of patient data (HTML, API, FHIR, portal, exports, feeds) leaves exactly
one access-log row, because every route loads through gateway.records.load.

The walk takes every protected route of core/routes.py that names a patient-data object (a UUID
of a patient, session, assessment... or a FHIR resource id) or serves the portal patient's own
record, and fails for a route it does not know how to read, so a new route cannot skip the log.
"""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.utils import timezone

from imsclinic.audit.models import ChartAccess
from imsclinic.core.routes import PROTECTED_ROUTES
from imsclinic.scheduling import actions as scheduling_actions
from tests.factories import AppointmentFactory, PatientFactory
from tests.interop.conftest import fhir_json
from tests.trust.authz_registry import all_routes
from tests.trust.test_authz_matrix import url_for

MATRIX = all_routes()

# Object parameters that do not name patient data: staff, clinics, a practitioner's hours.
NOT_PATIENT_DATA = (
    "user_uuid",
    "clinic_uuid",
    "row_uuid",
    "role_id",
    "questionnaire_id",
    "token_uuid",
    "service_uuid",  # a clinic's appointment types (clinic administration)
    "closure_uuid",  # a clinic's closures and holidays (the calendar)
    "name",  # an owner report's name (billing/reports/<name>/: clinic figures, no chart)
    "clinic_slug",  # a clinic's public page and its edit form (screening.front_views)
)

# The portal patient's own pages (no UUID: the record is hers by sign-in).
PORTAL_READS = {
    "portal/": "/portal/",
    "portal/book/": "/portal/book/",
    "portal/waitlist/": "/portal/waitlist/",
    "portal/intake/": "/portal/intake/",
    "portal/pain-drawing/": "/portal/pain-drawing/",
    "interop/portal/record/": "/interop/portal/record/",
    "interop/portal/record.pdf": "/interop/portal/record.pdf",
    "interop/portal/record.fhir.json": "/interop/portal/record.fhir.json",
    "interop/portal/appointments.ics": "/interop/portal/appointments.ics",
}
FHIR_CLINICAL = re.compile(r"^api/v1/fhir/(\w+)/<resource_id>$")


def _patient_data_routes() -> set[str]:
    routes = set()
    for pattern in PROTECTED_ROUTES:
        params = re.findall(r"<(?:\w+:)?(\w+)>", pattern)
        if any(p not in NOT_PATIENT_DATA for p in params):
            routes.add(pattern)
        elif pattern.startswith(("portal/", "interop/portal/")):
            routes.add(pattern)
    return routes


PATIENT_DATA_ROUTES = _patient_data_routes()
# The questionnaire page needs a due questionnaire; test_portal_questionnaire_is_logged has one.
# The year-end statement needs an invoice issued that year (the walk's patient has none); it
# loads through gateway.records.portal_view like every portal page.
SPECIAL = {"outcomes/portal/<slug:instrument_id>/", "billing/portal/statement-<int:year>.pdf"}


def test_the_walk_knows_every_patient_data_route():
    known = set(MATRIX) | set(PORTAL_READS) | SPECIAL
    known |= {p for p in PATIENT_DATA_ROUTES if FHIR_CLINICAL.match(p)}
    unknown = sorted(PATIENT_DATA_ROUTES - known)
    assert not unknown, (
        f"Routes reading patient data that the one-gateway walk cannot read: {unknown}"
    )
    assert len(PATIENT_DATA_ROUTES) > 50


@pytest.fixture
def world(cast, clinic_a, clinic_b, patient_a, patient_b):
    other = PatientFactory(clinic=clinic_a, given_name="Otto", family_name="Sameclinic")
    return SimpleNamespace(
        clinic_a=clinic_a,
        clinic_b=clinic_b,
        patient_a=patient_a,
        patient_b=patient_b,
        other_patient_a=other,
        **cast,
    )


def _reader(world, route):
    if route.portal:
        return world.pat
    for name in ("alice", "olivia", "bob"):
        if name in route.allowed:
            return getattr(world, name)
    raise AssertionError(f"nobody may read {route.pattern}")


def _rows():
    return ChartAccess.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pattern", sorted(p for p in PATIENT_DATA_ROUTES if p in MATRIX), ids=lambda p: p
)
def test_a_read_of_an_object_route_adds_exactly_one_access_row(client, world, pattern):
    route = MATRIX[pattern]
    url = url_for(pattern, route.make(world, world.patient_a), route.query)
    client.force_login(_reader(world, route))
    before = _rows()
    response = client.get(url, HTTP_ACCEPT="application/json" if route.is_api else "text/html")
    assert response.status_code == route.status, (url, response.status_code)
    added = _rows() - before
    if response.status_code == 200:
        assert added == 1, f"{url}: {added} access rows for one read"
        row = ChartAccess.objects.latest("id")
        assert row.patient_uuid == world.patient_a.uuid
        assert row.username == _reader(world, route).username
    else:
        # POST-only routes answer GET with 405; loading first (for the 404) logs at most once.
        assert added <= 1, f"{url}: {added} access rows"


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", sorted(PORTAL_READS))
def test_a_portal_read_adds_exactly_one_access_row(client, pat, patient_a, alice, pattern):
    AppointmentFactory(clinic=patient_a.clinic, patient=patient_a, practitioner=alice)
    client.force_login(pat)
    before = _rows()
    response = client.get(PORTAL_READS[pattern])
    assert response.status_code == 200
    assert _rows() - before == 1
    row = ChartAccess.objects.latest("id")
    assert (row.patient_uuid, row.username, row.roles) == (patient_a.uuid, "pat", "patient")


@pytest.mark.django_db
def test_portal_questionnaire_is_logged(client, pat, patient_a, alice):
    from tests.factories.outcomes import course_with_sessions

    course_with_sessions(patient=patient_a, practitioner=alice, pains=[])
    client.force_login(pat)
    before = _rows()
    assert client.get("/outcomes/portal/nprs/").status_code == 200
    assert _rows() - before == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    # FHIR reads with a matrix entry (the billing resources) are walked above, by their billers.
    "pattern",
    sorted(p for p in PATIENT_DATA_ROUTES if FHIR_CLINICAL.match(p) and p not in MATRIX),
)
def test_a_fhir_clinical_read_adds_exactly_one_access_row(
    client,
    full_record,
    patient_a,
    alice,
    pattern,
):
    resource_type = FHIR_CLINICAL.match(pattern).group(1)
    client.force_login(alice)
    bundle = fhir_json(client.get(f"/api/v1/fhir/Patient/{patient_a.uuid}/$everything"))
    ids = [
        e["resource"]["id"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == resource_type
    ]
    assert ids, f"the full record has no {resource_type}"
    before = _rows()
    response = client.get(f"/api/v1/fhir/{resource_type}/{ids[0]}")
    assert response.status_code == 200
    assert _rows() - before == 1


# ---- issue 13, finding 2: the reads that logged nothing on main --------------------------
@pytest.fixture
def records(patient_a, alice, full_record):
    appointment = AppointmentFactory(clinic=patient_a.clinic, patient=patient_a, practitioner=alice)
    return SimpleNamespace(session=full_record["session"], appointment=appointment)


FINDING_2 = {
    "API patient read": "/api/v1/patients/{p}",
    "API sessions list": "/api/v1/clinical/patients/{p}/sessions",
    "API session read": "/api/v1/clinical/sessions/{s}",
    "API assessments": "/api/v1/clinical/patients/{p}/assessments",
    "API adverse events": "/api/v1/clinical/patients/{p}/adverse-events",
    "API outcome responses": "/api/v1/outcomes/patients/{p}/responses",
    "API outcome scores": "/api/v1/outcomes/patients/{p}/scores",
    "FHIR Patient": "/api/v1/fhir/Patient/{p}",
    "patient edit page": "/patients/{p}/edit/",
    "appointment detail": "/schedule/appointments/{a}/",
}


@pytest.mark.django_db
@pytest.mark.parametrize("read", sorted(FINDING_2))
def test_finding_2_reads_that_logged_nothing_now_log_one_row(
    client, alice, patient_a, records, read
):
    url = FINDING_2[read].format(
        p=patient_a.uuid, s=records.session.uuid, a=records.appointment.uuid
    )
    client.force_login(alice)
    before = _rows()
    assert client.get(url).status_code == 200
    assert _rows() - before == 1, f"{read} ({url}) must leave one access row"
    row = ChartAccess.objects.latest("id")
    assert (row.patient_uuid, row.username) == (patient_a.uuid, "alice")


# ---- calendar feeds -------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_feed_fetch_logs_one_row_per_patient_it_shows(client, alice, clinic_a, patient_a):
    other = PatientFactory(clinic=clinic_a)
    soon = timezone.now() + datetime.timedelta(days=2)
    AppointmentFactory(clinic=clinic_a, patient=patient_a, practitioner=alice, starts_at=soon)
    AppointmentFactory(
        clinic=clinic_a,
        patient=patient_a,
        practitioner=alice,
        starts_at=soon + datetime.timedelta(days=7),
    )
    AppointmentFactory(clinic=clinic_a, patient=other, practitioner=alice, starts_at=soon)
    token = scheduling_actions.rotate_feed(practitioner=alice, clinic=clinic_a, by=alice)
    before = _rows()
    response = client.get(f"/schedule/feed/{token}.ics")
    assert response.status_code == 200
    rows = list(ChartAccess.objects.order_by("id")[before:])
    assert sorted(str(r.patient_uuid) for r in rows) == sorted(
        [str(patient_a.uuid), str(other.uuid)]
    )
    assert {(r.username, r.what) for r in rows} == {("alice", "calendar.feed")}
