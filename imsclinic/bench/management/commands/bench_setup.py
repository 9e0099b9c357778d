"""Prepare a bench database for a load run and print what the load driver needs, as JSON.

Run by `imsclinic bench` with the same environment as the server it starts (the session cookie
is only valid under the same secret key). Idempotent: it reuses the bench user and the records.
Not for production databases: it creates a signed-in session and an API token for a bench user.
"""

import datetime
import json

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from imsclinic.bench.endpoints import Fixture, resolve
from imsclinic.bench.plans import page_plans
from imsclinic.bench.scale import HEAVY_CHART_NUMBER
from imsclinic.clinical.actions.consent import record_consent
from imsclinic.clinical.models import (
    ConsentTextVersion,
    CourseOfCare,
    TreatmentSession,
    consent_problems,
)
from imsclinic.reports.pdf import KINDS

BENCH_USERNAME = "bench-practitioner"


class Command(BaseCommand):
    help = "Internal to `imsclinic bench`: bench user, session, token and endpoint list as JSON."

    def handle(self, *args, **options):
        from imsclinic.patients.models import Patient

        patient = Patient.objects.filter(chart_number=HEAVY_CHART_NUMBER).first()
        if patient is None:
            raise CommandError("No heavy chart: generate data with `imsclinic demo --clinics N`.")
        _retire_demo_logins()
        user = _bench_user(patient.clinic)
        search, matches = _search_term(patient.clinic)
        fixture = Fixture(
            patient_uuid=str(patient.uuid),
            course_uuid=_course_uuid(patient),
            search=search,
            cookie=_session_cookie(user),
            token=_token(user),
        )
        _report_kind(fixture)
        _report_courses(fixture, patient)
        _session_writer(fixture, patient.clinic, user)
        _load_writers(fixture, patient.clinic, user)
        fixture.extra["owner_cookie"] = _session_cookie(_network_owner())
        _closeout_day(fixture, patient.clinic, user)
        endpoints = resolve(fixture)
        plans = page_plans(user, endpoints)
        self.stdout.write(
            json.dumps(
                {
                    "patient_uuid": fixture.patient_uuid,
                    "sessions": _count_sessions(patient),
                    "counts": _counts(),
                    "search": {"term": search, "matches": matches},
                    "plans": plans,
                    "endpoints": [{**e.to_plan(), "unavailable": e.unavailable} for e in endpoints],
                }
            )
        )


def _search_term(clinic) -> tuple[str, int]:
    """The longest family-name prefix whose search fills the first page of results (in a clinic
    too small for any, the prefix that finds the most), and how many patients it matches.

    Patient search is compared between a clinic of ~150 patients and one of ~2,000. A fixed
    term compares pages of different lengths (before 2026-11-27 "smi" found 2 patients at small
    size and 44 at network size: a 2-row page against a full one). A term that fills the page at
    both sizes compares the same page, and what remains is how the search grows with the clinic:
    counting and sorting more matches to show the same first page.
    """
    from imsclinic.patients.models import Patient
    from imsclinic.patients.views import PAGE_SIZE

    names = Patient.objects.filter(clinic=clinic).values_list("family_name_folded", flat=True)
    prefixes: dict[str, int] = {}
    for name in names:
        for length in (1, 2, 3):
            if len(name) >= length:
                prefixes[name[:length]] = prefixes.get(name[:length], 0) + 1
    if not prefixes:
        raise CommandError("The bench clinic has no patients: generate data with `imsclinic demo`.")
    filling = [p for p, n in prefixes.items() if n >= PAGE_SIZE]
    if filling:
        term = max(filling, key=lambda p: (len(p), -prefixes[p], p))
    else:
        term = max(prefixes, key=lambda p: (prefixes[p], -len(p), p))
    matches = Patient.objects.filter(clinic=clinic).search(term).count()
    return term, matches


def _retire_demo_logins() -> None:
    """The benchmark serves with production settings, which refuse to run while the demo logins
    (published passwords) are active. The benchmark signs in as its own user, so on this
    throwaway database the demo logins are simply switched off."""
    from imsclinic.accounts.models import User

    User.objects.filter(is_demo_account=True, is_active=True).update(is_active=False)


def _bench_user(clinic):
    import datetime

    from imsclinic.accounts.models import (
        Membership,
        NeedlingAuthorisation,
        ProfessionalRegistration,
        Role,
        User,
    )

    user, created = User.objects.get_or_create(
        username=BENCH_USERNAME,
        defaults={"first_name": "Bench", "last_name": "Practitioner", "is_demo_account": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(user=user, clinic=clinic, role=Role.PRACTITIONER)
    Membership.objects.get_or_create(user=user, clinic=clinic, role=Role.CLINIC_ADMIN)
    today = datetime.date.today()
    # Signing needs a current registration as well as the authorisation (issue 12).
    ProfessionalRegistration.objects.get_or_create(
        regulator="Benchmark",
        number="BENCH-PT",
        defaults={
            "user": user,
            "jurisdiction": f"CA-{clinic.region or 'AB'}",
            "expires_on": today + datetime.timedelta(days=365),
        },
    )
    NeedlingAuthorisation.objects.get_or_create(
        user=user,
        jurisdiction=f"CA-{clinic.region or 'AB'}",
        number="BENCH-DN",
        defaults={
            "authority": "Benchmark",
            "issued_on": today - datetime.timedelta(days=30),
            "expires_on": today + datetime.timedelta(days=365),
        },
    )
    return user


OWNER_USERNAME = "bench-owner"


def _network_owner():
    """The owner of the whole network: clinic admin at every clinic (the network dashboard)."""
    from imsclinic.accounts.models import Clinic, Membership, Role, User

    owner, created = User.objects.get_or_create(
        username=OWNER_USERNAME,
        defaults={"first_name": "Network", "last_name": "Owner", "is_demo_account": False},
    )
    if created:
        owner.set_unusable_password()
        owner.save(update_fields=["password"])
    have = set(
        Membership.objects.filter(user=owner, role=Role.CLINIC_ADMIN).values_list(
            "clinic_id", flat=True
        )
    )
    Membership.objects.bulk_create(
        Membership(user=owner, clinic_id=pk, role=Role.CLINIC_ADMIN)
        for pk in Clinic.objects.exclude(pk__in=have).values_list("pk", flat=True)
    )
    return owner


def _session_cookie(user) -> str:
    """A signed-in session, as a browser would hold after logging in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _token(user) -> str:
    from imsclinic.gateway.actions import create_personal_token

    _, raw = create_personal_token(user=user, by=user, name="bench", expires_in_days=1)
    return raw


def _course_uuid(patient) -> str | None:
    course = CourseOfCare.objects.filter(patient=patient).order_by("-started_on").first()
    return str(course.uuid) if course else None


# Courses whose PDFs the benchmark prints in turn: more than a run can print, so no PDF comes from
# the per-version cache.
REPORT_COURSES = 300


def _report_courses(fixture: Fixture, patient) -> None:
    """The heavy chart's course first, then other courses of its clinic."""
    if fixture.course_uuid is None:
        return
    others = (
        CourseOfCare.objects.filter(clinic_id=patient.clinic_id)
        .exclude(uuid=fixture.course_uuid)
        .order_by("id")
        .values_list("patient__uuid", "uuid")[: REPORT_COURSES - 1]
    )
    fixture.extra["report_courses"] = [(fixture.patient_uuid, fixture.course_uuid)] + [
        (str(p), str(c)) for p, c in others
    ]


def _report_kind(fixture: Fixture) -> None:
    kinds = list(KINDS)
    if kinds:
        fixture.extra["report_kind"] = "progress" if "progress" in kinds else kinds[0]


def _session_writer(fixture: Fixture, clinic, user) -> None:
    """A consented patient in care whom the write benchmark treats again and again.

    Not the heavy chart: its session count must stay at 500 while the benchmark runs.
    """
    from imsclinic.patients.models import Patient

    writer, _ = Patient.objects.get_or_create(
        clinic=clinic,
        chart_number="BENCH-W",
        defaults={
            "given_name": "Wendy",
            "family_name": "Benchwriter",
            "date_of_birth": datetime.date(1970, 5, 5),
        },
    )
    _consent(writer, user)
    fixture.extra["writer_uuid"] = str(writer.uuid)
    fixture.extra["session_body"] = {
        "pain_before": 6,
        "pain_after": 3,
        "needles_in": 3,
        "needles_out": 3,
        "duration_minutes": 30,
        "precheck_done": True,
        "clean_technique": {"skin_prep": True, "hand_hygiene": True, "sharps": True},
        "aftercare_given": "Heat and gentle movement; soreness for 24-48 hours is expected.",
        "rows": [
            {
                "muscle_id": "gluteus_medius",
                "side": "R",
                "insertions": 3,
                "depth_mm": "25",
                "needle_gauge": "0.30",
                "needle_length_mm": "50",
                "response": "twitch",
                "tolerance": "good",
            }
        ],
    }


def _load_writers(fixture: Fixture, clinic, user) -> None:
    """Consented patients in care, one per client of the write load (endpoints.WRITE_LOAD_CLIENTS)."""
    from imsclinic.bench.endpoints import WRITE_LOAD_CLIENTS
    from imsclinic.patients.models import Patient

    uuids = []
    for n in range(WRITE_LOAD_CLIENTS):
        writer, _ = Patient.objects.get_or_create(
            clinic=clinic,
            chart_number=f"BENCH-L{n + 1}",
            defaults={
                "given_name": f"Loader{chr(ord('A') + n)}",
                "family_name": "Benchwriter",
                "date_of_birth": datetime.date(1971, 6, n + 1),
            },
        )
        _consent(writer, user)
        uuids.append(str(writer.uuid))
    fixture.extra["load_writer_uuids"] = uuids


def _consent(patient, user) -> None:
    if consent_problems(patient):
        current = ConsentTextVersion.current_for(patient.clinic_id)
        record_consent(
            patient=patient,
            by=user,
            signature_name=patient.full_name,
            covers_thorax=False,
            shown_version=current.version if current else 1,
        )


# Invoices issued and paid on the close-out's day: a busy clinic's day at the front desk.
CLOSEOUT_INVOICES = 80
CLOSEOUT_METHODS = ("debit", "credit_card", "cash", "e_transfer")


def _closeout_day(fixture: Fixture, clinic, user) -> None:
    """Yesterday (clinic time) with CLOSEOUT_INVOICES paid invoices, through the billing actions
    (the generated network has no billing data); reused when already there."""
    from imsclinic.billing import actions
    from imsclinic.billing.models import Payment
    from imsclinic.patients.models import Patient

    day = clinic.today() - datetime.timedelta(days=1)
    fixture.extra["closeout_day"] = day.isoformat()
    have = Payment.objects.filter(clinic=clinic, received_on=day, reference="bench").count()
    patients = Patient.objects.filter(clinic=clinic).order_by("id")[: CLOSEOUT_INVOICES - have]
    for index, patient in enumerate(patients):
        invoice = actions.create_invoice(
            patient=patient,
            by=user,
            service_date=day,
            lines=[{"description": "IMS treatment", "unit_price": "95.00"}],
        )
        actions.issue_invoice(invoice=invoice, by=user)
        actions.record_payment(
            invoice=invoice,
            by=user,
            method=CLOSEOUT_METHODS[index % len(CLOSEOUT_METHODS)],
            amount="95.00",
            received_on=day,
            reference="bench",
        )


def _count_sessions(patient) -> int:
    return TreatmentSession.objects.filter(patient=patient).count()


def _counts() -> dict:
    counts = {}
    for label in (
        "accounts.Clinic",
        "patients.Patient",
        "clinical.TreatmentSession",
        "clinical.NeedlingRow",
        "outcomes.QuestionnaireResponse",
        "scheduling.Appointment",
    ):
        counts[label] = apps.get_model(label).objects.aggregate(n=Count("pk"))["n"]
    return counts
