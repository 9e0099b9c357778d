"""A clinic network at scale: `imsclinic demo --clinics 50 --patients 100000 --sessions 1000000`.

The ordinary demo (web/demo.py) builds two realistic clinics through every area's demo step. This
module grows that into a network by bulk inserts (bench/bulk.py): more clinics and staff, patients
spread over them, and for patients in care an assessment, courses of care, signed needling
sessions with needling rows, outcome questionnaires and upcoming appointments. One patient at the
first demo clinic (chart number HEAVY_CHART_NUMBER) has HEAVY_SESSIONS sessions: the benchmark
opens that chart.

Deterministic: the same arguments and seed give the same rows (UUIDs included) on the same day;
dates are laid out relative to today so the Today page has work on it. Each area's rows come from
one function (bench/care.py), written against the model names of the cross-area contract; a model
that names no such table fails loudly, and one with a required field the generator cannot fill is
skipped and named in the output.
Everything is one transaction: a failure leaves the database as it was.
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from imsclinic.bench.bulk import ModelMismatch, TableWriter, analyze
from imsclinic.bench.care import care_for_chunk, consent_texts, outcome_table

HEAVY_CHART_NUMBER = "N0000001"
HEAVY_SESSIONS = 500
# Patients are written and their care generated in chunks, to bound memory at any size.
CHUNK_PATIENTS = 2000

NETWORK_CITIES = [
    ("Calgary", "AB", "America/Edmonton"),
    ("Edmonton", "AB", "America/Edmonton"),
    ("Red Deer", "AB", "America/Edmonton"),
    ("Lethbridge", "AB", "America/Edmonton"),
    ("Vancouver", "BC", "America/Vancouver"),
    ("Victoria", "BC", "America/Vancouver"),
    ("Kelowna", "BC", "America/Vancouver"),
    ("Saskatoon", "SK", "America/Regina"),
    ("Regina", "SK", "America/Regina"),
    ("Winnipeg", "MB", "America/Winnipeg"),
    ("Toronto", "ON", "America/Toronto"),
    ("Ottawa", "ON", "America/Toronto"),
    ("Halifax", "NS", "America/Halifax"),
]


@dataclass
class ScaleSpec:
    """How big a network to build. Totals include the ordinary demo's two clinics and patients."""

    clinics: int = 50
    patients: int = 100_000
    sessions: int = 1_000_000
    heavy_sessions: int = HEAVY_SESSIONS
    seed: int = 1
    practitioners_per_clinic: int = 3

    def validate(self) -> None:
        if self.clinics < 2:
            raise ValueError("--clinics must be at least 2 (the two demo clinics).")
        if self.patients < 100:
            raise ValueError("--patients must be at least 100 in network mode.")
        if self.sessions < self.heavy_sessions:
            raise ValueError(f"--sessions must be at least {self.heavy_sessions}.")
        if self.sessions > self.patients * 200:
            raise ValueError("At most 200 sessions per patient on average.")


@dataclass
class Network:
    """What the generator made, for the summary line and for tests."""

    clinics: list = field(default_factory=list)
    practitioners: dict = field(default_factory=dict)  # clinic id -> [user ids]
    counts: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    heavy_patient_uuid: uuid.UUID | None = None


def build_network(spec: ScaleSpec, *, progress=None, base=None) -> Network:
    """Grow the demo network (`base`: the DemoContext of build_demo) to `spec`'s size."""
    spec.validate()
    progress = progress or (lambda description, total: lambda n=1: None)
    with transaction.atomic():
        net = Network()
        _clinics_and_staff(spec, base, net)
        _patients_and_care(spec, base, net, progress)
        from imsclinic.audit.services import record

        record(
            by=None,
            action="demo.scale",
            clinic=base.clinic,
            summary=f"Network data: {len(net.clinics)} clinics, "
            + ", ".join(f"{n} {k}" for k, n in net.counts.items()),
        )
    return net


def run_from_command(command, *, patients, clinics, sessions, seed, no_progress) -> Network:
    """`imsclinic demo` in network mode: the ordinary demo, grown to scale, in one transaction."""
    from imsclinic.core.progress import progress_bars
    from imsclinic.web.demo import build_demo

    spec = ScaleSpec(
        clinics=clinics or 50,
        patients=patients or 100_000,
        sessions=sessions if sessions is not None else 1_000_000,
        seed=seed,
    )
    try:
        spec.validate()
    except ValueError as exc:
        from django.core.management.base import CommandError

        raise CommandError(str(exc)) from exc
    with progress_bars(enabled=not no_progress) as progress, transaction.atomic():
        base = build_demo(patients=min(60, spec.patients), seed=seed, progress=progress)
        net = build_network(spec, progress=progress, base=base)
        # Bulk rows bypass the actions that keep course priorities and rollups current.
        from imsclinic.outcomes.rollups import rebuild_derived

        rebuild_derived()
    analyze()
    style = command.style
    command.stdout.write(
        style.SUCCESS(
            f"Network ready: {len(net.clinics)} clinics; generated "
            + ", ".join(f"{n} {name}" for name, n in net.counts.items())
            + f" (seed {seed}). Heavy chart: patient {net.heavy_patient_uuid}, "
            f"chart {HEAVY_CHART_NUMBER}, {spec.heavy_sessions} sessions."
        )
    )
    for note in net.skipped:
        command.stdout.write(style.WARNING(f"Skipped {note}."))
    return net


# --- clinics and staff (a few hundred rows: the ORM is fine) -----------------------------------


def _clinics_and_staff(spec: ScaleSpec, base, net: Network) -> None:
    from imsclinic.accounts.models import (
        Clinic,
        Membership,
        NeedlingAuthorisation,
        Role,
        User,
    )

    rng = random.Random(f"{spec.seed}-clinics")  # noqa: S311 - reproducible synthetic data
    clinics = [base.clinic, base.other_clinic]
    for i in range(1, spec.clinics - 1):
        city, region, tz = NETWORK_CITIES[(i - 1) % len(NETWORK_CITIES)]
        clinic, _ = Clinic.objects.get_or_create(
            slug=f"network-{i:03d}",
            defaults={
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "name": f"{city} IMS Clinic {i:03d}",
                "time_zone": tz,
                "region": region,
                "city": city,
                "address_line1": f"{100 + i} Main St",
                "phone": f"(555) 555-{i:04d}",
            },
        )
        clinics.append(clinic)
    today = datetime.date.today()
    for clinic in clinics:
        ids = list(
            Membership.objects.filter(clinic=clinic, role=Role.PRACTITIONER).values_list(
                "user_id", flat=True
            )
        )
        for j in range(len(ids), spec.practitioners_per_clinic):
            user, _ = User.objects.get_or_create(
                username=f"{clinic.slug}-pt{j + 1}",
                defaults={
                    "first_name": rng.choice(["Alex", "Jordan", "Riley", "Casey", "Taylor"]),
                    "last_name": rng.choice(["Singh", "Chen", "Roy", "Martin", "Okafor"]),
                    "email": f"{clinic.slug}-pt{j + 1}@network.imsclinic.invalid",
                },
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, clinic=clinic, role=Role.PRACTITIONER)
            NeedlingAuthorisation.objects.get_or_create(
                user=user,
                jurisdiction=f"CA-{clinic.region or 'AB'}",
                number=f"{clinic.slug}-{j + 1}-DN",
                defaults={
                    "authority": "Provincial physiotherapy regulator",
                    "issued_on": today - datetime.timedelta(days=700),
                    "expires_on": today + datetime.timedelta(days=365),
                },
            )
            ids.append(user.pk)
        net.practitioners[clinic.pk] = ids
    net.clinics = clinics


# --- patients and their care (millions of rows: bulk writers) ----------------------------------


@dataclass
class _Writers:
    patients: TableWriter
    assessments: TableWriter | None
    courses: TableWriter | None
    sessions: TableWriter | None
    rows: TableWriter | None
    responses: TableWriter | None
    appointments: TableWriter | None
    consents: TableWriter | None
    adverse_events: TableWriter | None


def _writer(label: str, net: Network) -> TableWriter | None:
    try:
        return TableWriter(apps.get_model(label))
    except ModelMismatch as exc:
        net.skipped.append(f"{label} ({exc})")
        return None


def _session_plan(spec: ScaleSpec, rng: random.Random, count: int, existing: int = 0) -> list[int]:
    """Sessions per generated patient, summing exactly to the budget; about 1 in 6 has none.

    The budget is the spec's total less the heavy chart and the sessions the ordinary demo made.
    """
    budget = max(0, spec.sessions - spec.heavy_sessions - existing)
    weights = [0.0 if rng.random() < 0.17 else rng.uniform(0.3, 1.7) for _ in range(count)]
    total = sum(weights) or 1.0
    plan = [int(w / total * budget) for w in weights]
    # Rounding left a remainder: hand it out one by one to patients who are in care.
    in_care = [i for i, weight in enumerate(weights) if weight > 0] or list(range(count))
    for n in range(budget - sum(plan)):
        plan[in_care[n % len(in_care)]] += 1
    return plan


def _patients_and_care(spec: ScaleSpec, base, net: Network, progress) -> None:
    from imsclinic.patients.models import Patient, fold, phone_digits
    from imsclinic.web.demo import FAMILY_NAMES, GIVEN_NAMES, STREETS

    rng = random.Random(f"{spec.seed}-patients")  # noqa: S311 - reproducible synthetic data
    w = _Writers(
        patients=TableWriter(Patient),
        assessments=_writer("clinical.Assessment", net),
        courses=_writer("clinical.CourseOfCare", net),
        sessions=_writer("clinical.TreatmentSession", net),
        rows=_writer("clinical.NeedlingRow", net),
        responses=_writer("outcomes.QuestionnaireResponse", net),
        appointments=_writer("scheduling.Appointment", net),
        consents=_writer("clinical.Consent", net),
        adverse_events=_writer("clinical.AdverseEvent", net),
    )
    texts = consent_texts(net) if w.consents is not None else {}
    existing = Patient.objects.count()
    count = max(0, spec.patients - existing)
    # The first generated patient is the heavy chart; the rest share the remaining budget.
    existing_sessions = w.sessions.model.objects.count() if w.sessions else 0
    plan = (
        [spec.heavy_sessions, *_session_plan(spec, rng, count - 1, existing_sessions)]
        if count
        else []
    )
    clinics = net.clinics
    now = timezone.now()
    advance_patients = progress("Network patients", count)
    advance_sessions = progress("Sessions", sum(plan))
    outcome_scores = outcome_table()
    for start in range(0, count, CHUNK_PATIENTS):
        chunk = []
        for index in range(start, min(count, start + CHUNK_PATIENTS)):
            # The heavy patient sits at the first demo clinic, where the demo logins work.
            clinic = clinics[0] if index == 0 else clinics[index % len(clinics)]
            given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
            phone = f"({rng.randrange(200, 999)}) 555-{rng.randrange(0, 10000):04d}"
            row = {
                "id": w.patients.next_pk(),
                "uuid": uuid.UUID(int=rng.getrandbits(128), version=4),
                "clinic_id": clinic.pk,
                "chart_number": HEAVY_CHART_NUMBER if index == 0 else f"N{index + 1:07d}",
                "given_name": given,
                "family_name": family,
                "date_of_birth": datetime.date(1940, 1, 1)
                + datetime.timedelta(days=rng.randrange(0, 365 * 62)),
                "sex": rng.choice(["female", "male", "female", "male", "other"]),
                "phone": phone,
                "email": f"p{index + 1}@example.invalid",
                "address_line1": f"{rng.randrange(10, 9999)} {rng.choice(STREETS)}",
                "city": clinic.city,
                "region": clinic.region,
                "given_name_folded": fold(given),
                "family_name_folded": fold(family),
                "phone_digits": phone_digits(phone),
                "health_card_region": clinic.region,
                "created_at": now,
                "updated_at": now,
            }
            chunk.append((row, clinic, plan[index]))
            if index == 0:
                net.heavy_patient_uuid = row["uuid"]
        w.patients.write(row for row, _, _ in chunk)
        advance_patients(len(chunk))
        written = care_for_chunk(
            chunk, w, net, rng, now, outcome_scores, texts, in_care=HEAVY_CHART_NUMBER
        )
        advance_sessions(written)
    for writer in w.__dict__.values():
        if writer is not None:
            writer.finish()
            net.counts[writer.model._meta.verbose_name_plural] = writer.written
