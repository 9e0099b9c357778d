"""A deterministic synthetic clinic network for demos, tests and the benchmark.

The same seed and patient count give the same people, UUIDs and records on the same day (dates are
laid out relative to the clinic's today so that the Today page always has work on it). Each
clinical area adds its records through its step in DEMO_STEPS, in order.

The four demo logins have published passwords (README). `is_demo_account` marks them, and the
production deployment check refuses to run while any of them is active.
"""

import datetime
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from imsclinic.accounts.models import (
    Clinic,
    Membership,
    NeedlingAuthorisation,
    ProfessionalRegistration,
    Role,
    User,
)
from imsclinic.accounts.production import refuse_demo_data
from imsclinic.audit.services import record
from imsclinic.billing import demo as billing_demo
from imsclinic.clinical import demo as clinical_demo
from imsclinic.outcomes import demo as outcomes_demo
from imsclinic.outcomes import rollups as outcomes_rollups
from imsclinic.patients.models import Patient
from imsclinic.scheduling import demo as scheduling_demo
from imsclinic.scheduling.waitlist import demo as waitlist_demo
from imsclinic.screening import demo as screening_demo

DEMO_PASSWORDS = {
    "admin": "demo-admin-ims",
    "practitioner": "demo-practitioner-ims",
    "frontdesk": "demo-frontdesk-ims",
    "patient": "demo-patient-ims",
}

DEMO_STEPS = [
    screening_demo.build,
    scheduling_demo.build,
    waitlist_demo.build,
    clinical_demo.build,
    outcomes_demo.build,
    billing_demo.build,
    # Last: the demo writes in bulk, so the derived tables (course priorities, analytics
    # rollups) are computed from what the steps above wrote.
    outcomes_rollups.rebuild_after_demo,
]

GIVEN_NAMES = [
    "Amelia",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Ethan",
    "Charlotte",
    "Lucas",
    "Ava",
    "Mason",
    "Sophie",
    "Logan",
    "Chloe",
    "Benjamin",
    "Isla",
    "Owen",
    "Maya",
    "Jacob",
    "Zoé",
    "Félix",
    "Priya",
    "Arjun",
    "Mei",
    "Wei",
    "Harpreet",
    "Gurpreet",
    "Fatima",
    "Omar",
    "Aiyana",
    "Kai",
    "Grace",
    "Daniel",
    "Hannah",
    "Samuel",
    "Leah",
    "Nathan",
    "Nora",
    "Isaac",
    "Clara",
    "Elias",
    "Marisol",
    "Diego",
    "Yuki",
    "Hiroshi",
    "Anika",
    "Ravi",
    "Élodie",
    "Mathieu",
    "Siobhan",
    "Ewan",
]
FAMILY_NAMES = [
    "Smith",
    "Brown",
    "Tremblay",
    "Martin",
    "Roy",
    "Wilson",
    "MacDonald",
    "Gagnon",
    "Johnson",
    "Taylor",
    "Campbell",
    "Anderson",
    "Leblanc",
    "Lee",
    "Wong",
    "Chen",
    "Singh",
    "Sandhu",
    "Gill",
    "Patel",
    "Nguyen",
    "Kim",
    "Côté",
    "Bouchard",
    "Morin",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Young",
    "King",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Mitchell",
    "Fraser",
    "Cardinal",
    "Bear",
    "Okafor",
    "Haddad",
    "Rossi",
    "Kowalski",
    "Novak",
    "Ivanova",
    "García",
    "Santos",
]
STREETS = [
    "Elbow Dr SW",
    "Kensington Rd NW",
    "17 Ave SW",
    "Memorial Dr NE",
    "Bow Trail SW",
    "Macleod Trail SE",
    "Crowchild Trail NW",
    "Centre St N",
    "Edmonton Trail NE",
]


@dataclass
class DemoContext:
    """What each demo step receives: the clinics, people and a seeded random generator."""

    seed: int
    rng: random.Random
    clinic: Clinic
    other_clinic: Clinic
    users: dict[str, User]
    patients: list[Patient]
    progress: Callable[[str, int], Callable[[int], None]]
    extras: dict = field(default_factory=dict)

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def person_name(self) -> tuple[str, str]:
        """A (given, family) name from the demo's lists, drawn from the seeded generator, so that
        areas' demo steps need not import the builder above them."""
        return self.rng.choice(GIVEN_NAMES), self.rng.choice(FAMILY_NAMES)


def _no_progress(description: str, total: int):
    return lambda n=1: None


def _clinic(slug, **fields) -> Clinic:
    clinic, _ = Clinic.objects.get_or_create(slug=slug, defaults=fields)
    return clinic


def _user(username, *, first, last, email, password=None, demo=True) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": email, "is_demo_account": demo},
    )
    if created:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user


def _staff(ctx_users, clinic_a, clinic_b, rng):
    today = clinic_a.today()
    admin = _user(
        "admin",
        first="Morgan",
        last="Reid",
        email="admin@demo.imsclinic.invalid",
        password=DEMO_PASSWORDS["admin"],
    )
    practitioner = _user(
        "practitioner",
        first="Dana",
        last="Okafor",
        email="practitioner@demo.imsclinic.invalid",
        password=DEMO_PASSWORDS["practitioner"],
    )
    frontdesk = _user(
        "frontdesk",
        first="Sam",
        last="Tran",
        email="frontdesk@demo.imsclinic.invalid",
        password=DEMO_PASSWORDS["frontdesk"],
    )
    colleague = _user(
        "hkaur", first="Harleen", last="Kaur", email="hkaur@demo.imsclinic.invalid", demo=False
    )
    vancouver = _user(
        "jmorin", first="Julien", last="Morin", email="jmorin@demo.imsclinic.invalid", demo=False
    )
    # The owner runs both clinics; everyone else works at one.
    for user, clinic, role in [
        (admin, clinic_a, Role.CLINIC_ADMIN),
        (admin, clinic_b, Role.CLINIC_ADMIN),
        (practitioner, clinic_a, Role.PRACTITIONER),
        (colleague, clinic_a, Role.PRACTITIONER),
        (frontdesk, clinic_a, Role.FRONT_DESK),
        (vancouver, clinic_b, Role.PRACTITIONER),
    ]:
        Membership.objects.get_or_create(user=user, clinic=clinic, role=role)
    for user, jurisdiction, regulator, number in [
        (practitioner, "CA-AB", "Physiotherapy Alberta College + Association", "AB-PT-40412"),
        (colleague, "CA-AB", "Physiotherapy Alberta College + Association", "AB-PT-38807"),
        (vancouver, "CA-BC", "College of Health and Care Professionals of BC", "BC-PT-21934"),
    ]:
        ProfessionalRegistration.objects.get_or_create(
            regulator=regulator,
            number=number,
            defaults={
                "user": user,
                "jurisdiction": jurisdiction,
                "expires_on": today + datetime.timedelta(days=300),
            },
        )
        NeedlingAuthorisation.objects.get_or_create(
            user=user,
            jurisdiction=jurisdiction,
            number=f"{number}-DN",
            defaults={
                "authority": regulator,
                "modality": NeedlingAuthorisation.Modality.BOTH,
                "issued_on": today - datetime.timedelta(days=700),
                "expires_on": today + datetime.timedelta(days=365),
            },
        )
    ctx_users.update(
        admin=admin,
        practitioner=practitioner,
        frontdesk=frontdesk,
        colleague=colleague,
        vancouver=vancouver,
    )


def _make_patient(rng, clinic, index) -> Patient:
    given = rng.choice(GIVEN_NAMES)
    family = rng.choice(FAMILY_NAMES)
    born = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 62))
    phone = f"(403) 555-{rng.randrange(0, 10000):04d}"
    patient = Patient(
        uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
        clinic=clinic,
        chart_number=f"{index:06d}",
        given_name=given,
        family_name=family,
        date_of_birth=born,
        sex=rng.choice(
            [
                Patient.Sex.FEMALE,
                Patient.Sex.MALE,
                Patient.Sex.FEMALE,
                Patient.Sex.MALE,
                Patient.Sex.OTHER,
            ]
        ),
        phone=phone,
        email=f"{given}.{family}{index}@example.invalid".lower().replace(" ", ""),
        address_line1=f"{rng.randrange(10, 9999)} {rng.choice(STREETS)}",
        city=clinic.city,
        region=clinic.region,
        postal_code="T2S 0A1",
        emergency_contact_name=f"{rng.choice(GIVEN_NAMES)} {family}",
        emergency_contact_phone=f"(403) 555-{rng.randrange(0, 10000):04d}",
        emergency_contact_relationship=rng.choice(
            ["Spouse", "Partner", "Parent", "Sibling", "Friend"]
        ),
        health_card_number=f"{rng.randrange(10000, 99999)}-{rng.randrange(1000, 9999)}",
        health_card_region=clinic.region,
        insurer=rng.choice(
            ["", "Alberta Blue Cross", "Sun Life", "Manulife", "Canada Life", "WCB"]
        ),
        preferred_language=rng.choice(["en"] * 8 + ["fr", "pa", "zh"]),
    )
    patient.refresh_search_keys()
    return patient


@transaction.atomic
def build_demo(*, patients: int = 60, seed: int = 1, progress=None) -> DemoContext:
    """Create (or extend) the demo network. Safe to run on an empty database only once."""
    refuse_demo_data()
    progress = progress or _no_progress
    rng = random.Random(seed)  # noqa: S311 - synthetic demo data must be reproducible, not secret
    clinic_a = _clinic(
        "bow-valley",
        name="Bow Valley IMS & Physiotherapy",
        time_zone="America/Edmonton",
        region="AB",
        address_line1="1205 17 Ave SW",
        city="Calgary",
        postal_code="T2T 0B8",
        phone="(403) 555-0142",
        email="hello@bowvalley.demo.invalid",
    )
    clinic_b = _clinic(
        "harbourview",
        name="Harbourview Needling Clinic",
        time_zone="America/Vancouver",
        region="BC",
        address_line1="880 W Broadway",
        city="Vancouver",
        postal_code="V5Z 1J9",
        phone="(604) 555-0190",
        email="hello@harbourview.demo.invalid",
    )
    users: dict[str, User] = {}
    _staff(users, clinic_a, clinic_b, rng)

    existing = Patient.objects.filter(clinic__in=[clinic_a, clinic_b]).count()
    created: list[Patient] = []
    if existing == 0:
        advance = progress("Patients", patients)
        batch = []
        for index in range(1, patients + 1):
            # One in six patients belongs to the second clinic, so the network has two tenants.
            clinic = clinic_b if index % 6 == 0 else clinic_a
            batch.append(_make_patient(rng, clinic, index))
            if len(batch) >= 1000:
                created += Patient.objects.bulk_create(batch)
                advance(len(batch))
                batch = []
        if batch:
            created += Patient.objects.bulk_create(batch)
            advance(len(batch))
    all_patients = list(Patient.objects.filter(clinic__in=[clinic_a, clinic_b]).order_by("id"))

    portal_patient = next(p for p in all_patients if p.clinic_id == clinic_a.pk)
    if portal_patient.portal_user_id is None:
        users["patient"] = _user(
            "patient",
            first=portal_patient.given_name,
            last=portal_patient.family_name,
            email="patient@demo.imsclinic.invalid",
            password=DEMO_PASSWORDS["patient"],
        )
        portal_patient.portal_user = users["patient"]
        portal_patient.save(update_fields=["portal_user"])
    else:
        users["patient"] = portal_patient.portal_user

    ctx = DemoContext(
        seed=seed,
        rng=rng,
        clinic=clinic_a,
        other_clinic=clinic_b,
        users=users,
        patients=all_patients,
        progress=progress,
    )
    ctx.extras["portal_patient"] = portal_patient
    for step in DEMO_STEPS:
        step(ctx)
    record(
        by=None,
        action="demo.build",
        clinic=clinic_a,
        summary=f"Demo data: {len(created)} patients, seed {seed}",
    )
    return ctx


def print_logins(stdout) -> None:
    stdout.write("Demo logins (demo data only):")
    for username, password in DEMO_PASSWORDS.items():
        stdout.write(f"  {username:<13} {password}")
