"""A clinic network at scale: `imsclinic demo --clinics 50 --patients 100000 --sessions 1000000`.

The ordinary demo (core/demo.py) builds two realistic clinics through every area's demo step. This
module grows that into a network by bulk inserts (bench/bulk.py): more clinics and staff, patients
spread over them, and for patients in care an assessment, courses of care, signed needling
sessions with needling rows, outcome questionnaires and upcoming appointments. One patient at the
first demo clinic (chart number HEAVY_CHART_NUMBER) has HEAVY_SESSIONS sessions: the benchmark
opens that chart.

Deterministic: the same arguments and seed give the same rows (UUIDs included) on the same day;
dates are laid out relative to today so the Today page has work on it. Each area's rows come from
one function here, written against the model names of the cross-area contract; an area whose model
does not exist yet is skipped (and said so), so the generator runs at any stage of the project.
Everything is one transaction: a failure leaves the database as it was.
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from imsclinic.bench.bulk import ModelMismatch, TableWriter, analyze

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
MUSCLES = [
    "gluteus_medius",
    "gluteus_maximus",
    "piriformis",
    "quadratus_lumborum",
    "multifidus",
    "tensor_fasciae_latae",
    "vastus_lateralis",
    "gastrocnemius",
    "upper_trapezius",
    "levator_scapulae",
    "infraspinatus",
    "supraspinatus",
    "splenius_capitis",
    "extensor_carpi_radialis_longus",
]
CONDITIONS = [
    ("chronic_low_back_pain", ["M54.5"], ["L4-R", "L5-R", "S1-R"]),
    ("chronic_neck_pain", ["M54.2"], ["C5-R", "C6-R"]),
    ("lateral_epicondylalgia", ["M77.1"], ["C6-R", "C7-R"]),
    ("subacromial_pain", ["M75.4"], ["C5-L", "C6-L"]),
    ("knee_pain", ["M25.56"], ["L3-L", "L4-L"]),
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


def model_or_none(label: str):
    """The model for 'app.Model', or None when that area has not defined it yet."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


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
    from imsclinic.core.demo import build_demo
    from imsclinic.core.progress import progress_bars

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
    model = model_or_none(label)
    if model is None:
        net.skipped.append(f"{label} (model not defined yet)")
        return None
    try:
        return TableWriter(model)
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
    from imsclinic.core.demo import FAMILY_NAMES, GIVEN_NAMES, STREETS
    from imsclinic.patients.models import Patient, fold, phone_digits

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
    consent_texts = _consent_texts(net) if w.consents is not None else {}
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
    outcome_scores = _outcome_table()
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
        written = _care_for_chunk(chunk, w, net, rng, now, outcome_scores, consent_texts)
        advance_sessions(written)
    for writer in w.__dict__.values():
        if writer is not None:
            writer.finish()
            net.counts[writer.model._meta.verbose_name_plural] = writer.written


def _outcome_table() -> dict[str, list[tuple[dict, object]]]:
    """A few scored answer sets per instrument, computed once by the knowledge engine."""
    from imsclinic.knowledge import load_knowledge, score_instrument

    kb = load_knowledge()
    table = {}
    for instrument_id in ("nprs", "lefs"):
        instrument = kb.instruments.get(instrument_id)
        if instrument is None:
            continue
        variants = []
        for level in range(11):
            answers = {
                item.id: round(item.min + (item.max - item.min) * level / 10)
                for item in instrument.items
                if not item.optional
            }
            variants.append((answers, score_instrument(instrument_id, answers)))
        table[instrument_id] = variants
    return table


def _consent_texts(net: Network) -> dict:
    """The current consent text of every clinic (version 1, the default wording, if none)."""
    from imsclinic.clinical.models import (
        DEFAULT_CONSENT_BODY,
        DEFAULT_CONSENT_TITLE,
        ConsentTextVersion,
    )

    texts = {}
    for clinic in net.clinics:
        text = ConsentTextVersion.current_for(clinic.pk)
        if text is None:
            text = ConsentTextVersion.objects.create(
                clinic=clinic,
                version=1,
                title=DEFAULT_CONSENT_TITLE,
                body=DEFAULT_CONSENT_BODY,
                covers_thorax=True,
            )
        texts[clinic.pk] = text.pk
    return texts


def _care_for_chunk(chunk, w: _Writers, net, rng, now, outcome_scores, consent_texts) -> int:
    """Consent, assessment, courses, sessions, needling rows, outcomes and appointments."""
    if w.sessions is None:
        return 0
    assessments, courses, sessions, rows, responses, appointments = [], [], [], [], [], []
    consents, events = [], []
    for patient, clinic, k in chunk:
        if k == 0:
            continue
        practitioner = rng.choice(net.practitioners[clinic.pk])
        # Recent patients are in care now; others finished some time in the last three years.
        active = rng.random() < 0.3 or patient["chart_number"] == HEAVY_CHART_NUMBER
        last = now - datetime.timedelta(
            days=rng.randrange(1, 7) if active else rng.randrange(30, 1000)
        )
        first = last - datetime.timedelta(days=7 * (k - 1))
        condition, icd10, segments = rng.choice(CONDITIONS)
        if w.consents is not None:
            signed = first - datetime.timedelta(days=3)
            consents.append(
                {
                    "uuid": _uuid(rng),
                    "patient_id": patient["id"],
                    "clinic_id": clinic.pk,
                    "text_version_id": consent_texts[clinic.pk],
                    "explained_by_id": practitioner,
                    "signature_name": f"{patient['given_name']} {patient['family_name']}",
                    "signed_at": signed,
                    "covers_thorax": False,
                }
            )
        assessment_id = None
        if w.assessments is not None:
            assessment_id = w.assessments.next_pk()
            assessments.append(
                _assessment_row(assessment_id, patient, clinic, practitioner, first, rng)
                | {"condition_id": condition, "icd10_codes": icd10, "accepted_segments": segments}
            )
        # Courses of up to 10 sessions; only the patient's last course can be active.
        course_sizes = [10] * ((k - 1) // 10) + [k - 10 * ((k - 1) // 10)]
        number = 0
        for c, size in enumerate(course_sizes):
            is_last = c == len(course_sizes) - 1
            course_id = None
            course_start = first + datetime.timedelta(days=7 * number)
            course_end = course_start + datetime.timedelta(days=7 * (size - 1))
            status = "active" if (is_last and active) else "discharged"
            if w.courses is not None:
                course_id = w.courses.next_pk()
                courses.append(
                    {
                        "id": course_id,
                        "uuid": _uuid(rng),
                        "patient_id": patient["id"],
                        "clinic_id": clinic.pk,
                        "practitioner_id": practitioner,
                        "assessment_id": assessment_id,
                        "condition_id": condition,
                        "icd10_codes": icd10,
                        "target_segments": segments,
                        "target_muscles": [{"muscle_id": MUSCLES[0], "side": "R"}],
                        "planned_sessions": max(size, 8),
                        "frequency_days": 7,
                        "goals": [
                            {"activity": "Sit through a one-hour meeting", "baseline_score": 3}
                        ],
                        "review_at_session": 4,
                        "status": status,
                        "started_on": course_start.date(),
                        "discharged_on": None if status == "active" else course_end.date(),
                        "discharge_reason": "" if status == "active" else "Goals met",
                        "created_at": course_start,
                        "updated_at": course_end,
                    }
                )
            for s in range(size):
                number += 1
                started = course_start + datetime.timedelta(
                    days=7 * s, minutes=rng.randrange(0, 480)
                )
                session_id = w.sessions.next_pk()
                pain = max(0, 8 - s // 2 - rng.randrange(0, 3))
                needled = _needling_rows(session_id, rng) if w.rows is not None else []
                needles = sum(r["insertions"] for r in needled)
                rows.extend(needled)
                if w.adverse_events is not None and rng.random() < 0.02:
                    # About 2 in 100 sessions: mostly bruising or soreness (reported rates).
                    events.append(_adverse_event_row(session_id, patient, clinic, started, rng))
                sessions.append(
                    {
                        "id": session_id,
                        "uuid": _uuid(rng),
                        "patient_id": patient["id"],
                        "clinic_id": clinic.pk,
                        "course_id": course_id,
                        "practitioner_id": practitioner,
                        "session_number": number,
                        "started_at": started,
                        "duration_minutes": 30,
                        "pain_before": pain,
                        "pain_after": max(0, pain - rng.randrange(1, 4)),
                        "needles_in": needles,
                        "needles_out": needles,
                        "precheck": {"checked": True, "items": [], "notes": ""},
                        "clean_technique": {
                            "skin_prep": True,
                            "hand_hygiene": True,
                            "sharps": True,
                        },
                        "aftercare_given": "Heat and gentle movement; soreness 24-48 h is expected.",
                        "signed_at": started + datetime.timedelta(minutes=40),
                        "signed_by_id": practitioner,
                        "created_at": started,
                        "updated_at": started + datetime.timedelta(minutes=40),
                    }
                )
            if w.responses is not None:
                responses.extend(
                    _outcome_rows(
                        w.responses,
                        patient,
                        clinic,
                        course_id,
                        practitioner,
                        course_start,
                        size,
                        status,
                        rng,
                        outcome_scores,
                    )
                )
        if active and w.appointments is not None:
            appointments.append(_appointment_row(patient, clinic, practitioner, now, rng))
    for writer, batch in (
        (w.consents, consents),
        (w.assessments, assessments),
        (w.courses, courses),
        (w.sessions, sessions),
        (w.rows, rows),
        (w.responses, responses),
        (w.appointments, appointments),
        (w.adverse_events, events),
    ):
        if writer is not None and batch:
            writer.write(batch)
    return len(sessions)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _assessment_row(pk, patient, clinic, practitioner, first, rng) -> dict:
    assessed = first - datetime.timedelta(days=3)
    return {
        "id": pk,
        "uuid": _uuid(rng),
        "patient_id": patient["id"],
        "clinic_id": clinic.pk,
        "practitioner_id": practitioner,
        "assessed_on": assessed.date(),
        "pain_pattern": "Deep aching pain, worse with sitting.",
        "duration_months": rng.randrange(4, 60),
        "body_chart": [
            {"region": "low_back_r", "side": "R", "pain_type": "aching", "intensity": 6}
        ],
        "working_diagnosis": "Chronic myofascial pain with segmental signs",
        "signed_at": assessed,
        "signed_by_id": practitioner,
        "created_at": assessed,
        "updated_at": assessed,
    }


def _adverse_event_row(session_id, patient, clinic, started, rng) -> dict:
    kind = rng.choice(("bruising", "bruising", "soreness_severe", "bleeding", "vasovagal"))
    return {
        "uuid": _uuid(rng),
        "session_id": session_id,
        "patient_id": patient["id"],
        "clinic_id": clinic.pk,
        "kind": kind,
        "severity": "mild" if rng.random() < 0.9 else "significant",
        "action_taken": "Pressure and reassurance; advice given.",
        "occurred_at": started + datetime.timedelta(minutes=20),
        "created_at": started,
        "updated_at": started,
    }


def _needling_rows(session_id: int, rng: random.Random) -> list[dict]:
    rows = []
    for order in range(rng.choice((1, 2, 2, 3, 3, 4))):
        rows.append(
            {
                "session_id": session_id,
                "order": order + 1,
                "muscle_id": rng.choice(MUSCLES),
                "side": rng.choice("LRR"),
                "insertions": rng.randrange(1, 6),
                "depth_mm": Decimal(rng.randrange(10, 45)),
                "needle_gauge": "0.30",
                "needle_length_mm": Decimal(50),
                "lot_number": f"LOT{rng.randrange(1000, 9999)}",
                "response": rng.choice(("twitch", "twitch", "grasp", "none")),
                "tolerance": rng.choice(("good", "good", "fair")),
            }
        )
    return rows


def _outcome_rows(
    writer, patient, clinic, course_id, practitioner, start, size, status, rng, table
):
    """Intake, review at session 4 and discharge NPRS (+ LEFS at intake and discharge)."""
    points = [("intake", 0)]
    if size >= 4:
        points.append(("review", 4))
    if status == "discharged":
        points.append(("discharge", size))
    out = []
    for timepoint, number in points:
        for instrument_id, variants in table.items():
            if instrument_id == "lefs" and timepoint == "review":
                continue
            # Pain falls and function rises through the course.
            level = 7 - number // 2 - rng.randrange(0, 2)
            if instrument_id == "lefs":
                level = 10 - level
            answers, score = variants[max(0, min(10, level))]
            via_portal = rng.random() < 0.5
            completed = start + datetime.timedelta(days=7 * max(0, number - 1), hours=1)
            out.append(
                {
                    "uuid": _uuid(rng),
                    "patient_id": patient["id"],
                    "clinic_id": clinic.pk,
                    "course_id": course_id,
                    "instrument_id": instrument_id,
                    "answers": answers,
                    "total": score.total,
                    "subscales": score.subscales,
                    "normalised": score.normalised,
                    "interpretation": score.interpretation or "",
                    "completed_at": completed,
                    "completed_via": "portal" if via_portal else "clinic",
                    "entered_by_id": None if via_portal else practitioner,
                    "timepoint": timepoint,
                    "session_number": number,
                    "created_at": completed,
                    "updated_at": completed,
                }
            )
    return out


def _appointment_row(patient, clinic, practitioner, now, rng) -> dict:
    """The next weekly visit of a patient in care: within the coming week (today for 1 in 7)."""
    day = rng.randrange(0, 7)
    local = timezone.localtime(now, clinic.tz).replace(hour=8, minute=0, second=0, microsecond=0)
    starts = local + datetime.timedelta(days=day, minutes=30 * rng.randrange(0, 18))
    return {
        "uuid": _uuid(rng),
        "clinic_id": clinic.pk,
        "patient_id": patient["id"],
        "practitioner_id": practitioner,
        "kind": "ims_treatment",
        "mode": "in_clinic",
        "starts_at": starts,
        "ends_at": starts + datetime.timedelta(minutes=30),
        "status": "booked",
        "booked_via": "staff",
        "created_at": now,
        "updated_at": now,
    }
