"""Demo step: assessments, consent, courses of care and signed needling sessions.

Deterministic from ctx.rng and written with bulk_create for volume. Most patients get a signed
assessment with findings from a typical condition (the segment engine picks the segments, as it
would in the clinic), a consent on the clinic's text, a course of care and 1-10 signed sessions.
Adverse events follow realistic rates: bruising and soreness common, vasovagal rare, serious
events very rare. The portal patient and a handful of the demo practitioner's patients (plus
anyone the schedule books for an IMS treatment today) have an active course, valid consent and a
session due today, so the "practitioner" login can chart at once.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from imsclinic.audit.services import record
from imsclinic.clinical import engine
from imsclinic.clinical.models import (
    DEFAULT_CONSENT_BODY,
    DEFAULT_CONSENT_TITLE,
    AdverseEvent,
    Assessment,
    AssessmentFinding,
    Consent,
    ConsentTextVersion,
    CourseOfCare,
    NeedlingRow,
    TreatmentSession,
)
from imsclinic.knowledge import load_knowledge
from imsclinic.scheduling.models import Appointment

SHARE_WITH_CLINICAL_RECORDS = 0.85
DUE_TODAY = 5  # practitioner patients with a session due today, besides the portal patient
# Per-session probabilities (published dry-needling safety surveys: minor events such as
# bruising, bleeding and soreness in roughly 10-20 % of sessions; fainting well under 1 %;
# significant or serious events in well under 1 in 1,000).
AE_RATES = [
    ("bruising", "mild", 0.10, "Pressure and reassurance.", ""),
    ("soreness_severe", "mild", 0.06, "Heat and gentle movement advised.", "Check next visit."),
    ("bleeding", "mild", 0.03, "Pressure until it stopped.", ""),
    ("vasovagal", "significant", 0.004, "Supine, legs raised; observed 20 min.", "Treat lying"),
    ("pneumothorax", "serious", 0.0003, "Sent to emergency.", "Regulator report filed."),
]
PAIN_TYPES = ["aching", "burning", "sharp", "tingling", "stiff"]
AFTERCARE = [
    "Heat for 15 minutes tonight, gentle walking; soreness for 24-36 hours is expected; no "
    "strenuous activity for 24-48 hours.",
    "Keep moving, avoid heavy lifting today; drink water. Urgent care for chest pain or "
    "breathlessness.",
    "Stretches as shown, heat as needed; call us if soreness lasts beyond 48 hours.",
]


class _Suggestions:
    """The engine's suggestion per (condition, side, muscles), computed once (demo at scale)."""

    def __init__(self):
        self.cache = {}

    def get(self, findings):
        key = tuple(sorted((f.muscle_id, f.side, f.grade) for f in findings))
        if key not in self.cache:
            fake = Assessment(screening_answers={}, gunn_signs=[])
            self.cache[key] = engine.suggest(fake, findings)
        return self.cache[key]


def _local(clinic, day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=clinic.tz).astimezone(
        datetime.UTC
    )


def _practitioners(ctx, clinic):
    if clinic == ctx.clinic:
        return [ctx.users["practitioner"], ctx.users["colleague"]]
    return [ctx.users["vancouver"]]


def _todays_booked(ctx, clinic, today) -> set[int]:
    return set(
        Appointment.objects.for_clinic_day(clinic, today)
        .active()
        .filter(kind="ims_treatment", practitioner=ctx.users["practitioner"])
        .values_list("patient_id", flat=True)
    )


def build(ctx) -> None:
    kb = load_knowledge()
    rng = ctx.rng
    admin = ctx.users["admin"]
    texts = {}
    for clinic in (ctx.clinic, ctx.other_clinic):
        texts[clinic.pk] = ConsentTextVersion.current_for(
            clinic
        ) or ConsentTextVersion.objects.create(
            clinic=clinic,
            version=1,
            title=DEFAULT_CONSENT_TITLE,
            body=DEFAULT_CONSENT_BODY,
            covers_thorax=True,
            created_by=admin,
            created_at=timezone.now() - datetime.timedelta(days=400),
        )
    if Assessment.objects.filter(clinic__in=[ctx.clinic, ctx.other_clinic]).exists():
        return  # already built
    conditions = [c for c in kb.conditions.values() if c.muscles]
    suggestions = _Suggestions()
    portal = ctx.extras.get("portal_patient")
    booked_today = _todays_booked(ctx, ctx.clinic, ctx.clinic.today())
    due_left = DUE_TODAY

    plans = []  # (patient, practitioner, condition, side, findings, n_sessions, due_today)
    advance = ctx.progress("Clinical records", len(ctx.patients))
    for patient in ctx.patients:
        forced = patient == portal or patient.pk in booked_today
        if not forced and rng.random() > SHARE_WITH_CLINICAL_RECORDS:
            advance(1)
            continue
        practitioners = _practitioners(ctx, patient.clinic)
        practitioner = practitioners[0] if forced else rng.choice(practitioners)
        due = forced
        if not due and practitioner == ctx.users["practitioner"] and due_left > 0:
            due, due_left = True, due_left - 1
        condition = rng.choice(conditions)
        side = rng.choice(["L", "R"])
        muscles = rng.sample(condition.muscles, k=min(len(condition.muscles), rng.randint(3, 5)))
        findings = [
            AssessmentFinding(muscle_id=m, side=side, grade=rng.choice(["tender", "taut"]))
            for m in muscles
            if m in kb.muscles
        ]
        plans.append((patient, practitioner, condition, side, findings, rng.randint(1, 10), due))
        advance(1)

    assessments, consents, courses = [], [], []
    for patient, practitioner, condition, side, findings, n_sessions, due in plans:
        clinic = patient.clinic
        today = clinic.today()
        frequency = rng.choice([7, 7, 7, 10, 14])
        if due:
            last = today - datetime.timedelta(days=frequency)
        else:
            last = today - datetime.timedelta(days=rng.randint(1, 200))
        first = last - datetime.timedelta(days=frequency * (n_sessions - 1))
        assessed_on = first - datetime.timedelta(days=rng.choice([0, 3, 7]))
        suggestion = suggestions.get(findings)
        accepted = suggestion["suggested"][:3]
        signed_at = _local(clinic, assessed_on, 17, 30)
        assessments.append(
            Assessment(
                uuid=ctx.uuid(),
                patient=patient,
                clinic=clinic,
                practitioner=practitioner,
                assessed_on=assessed_on,
                pain_pattern=f"{condition.name}, worse on the {'left' if side == 'L' else 'right'}",
                onset=rng.choice(["Gradual", "After lifting", "After a fall", "Unknown"]),
                duration_months=rng.randint(3, 60),
                treatments_tried=rng.choice(
                    ["Massage, exercise", "Chiropractic, NSAIDs", "Physio exercises", "None"]
                ),
                medications=rng.choice(["", "Ibuprofen as needed", "Gabapentin", ""]),
                screening_answers={"able_to_consent": True},
                body_chart=[
                    {
                        "region": f"{kb.muscles[f.muscle_id].chart_area}_{side.lower()}",
                        "side": side,
                        "pain_type": rng.choice(PAIN_TYPES),
                        "intensity": rng.randint(3, 8),
                    }
                    for f in findings[:2]
                ],
                working_diagnosis=condition.name,
                icd10_codes=[condition.icd10[0].code] if condition.icd10 else [],
                condition_id=condition.id,
                suggested_segments=suggestion,
                accepted_segments=accepted,
                signed_at=signed_at,
                signed_by=practitioner,
            )
        )
        plan_items = [
            item for item in (suggestion.get("plan") or {}).get("items", []) if item.get("side")
        ] or [{"muscle": f.muscle_id, "side": side} for f in findings]
        thorax = any(kb.is_thorax(kb.muscles[i["muscle"]]) for i in plan_items)
        consents.append(
            Consent(
                uuid=ctx.uuid(),
                patient=patient,
                clinic=clinic,
                text_version=texts[clinic.pk],
                explained_by=practitioner,
                signature_name=patient.full_name,
                signed_at=_local(clinic, assessed_on, 17, 0),
                covers_thorax=thorax,
            )
        )
        active = due or rng.random() < 0.6
        courses.append(
            CourseOfCare(
                uuid=ctx.uuid(),
                patient=patient,
                clinic=clinic,
                practitioner=practitioner,
                condition_id=condition.id,
                icd10_codes=[condition.icd10[0].code] if condition.icd10 else [],
                target_segments=accepted,
                target_muscles=[{"muscle_id": i["muscle"], "side": i["side"]} for i in plan_items],
                planned_sessions=max(n_sessions + (2 if active else 0), 4),
                frequency_days=frequency,
                goals=[
                    {
                        "activity": rng.choice(
                            ["Sit for an hour", "Walk 30 minutes", "Lift my child", "Sleep through"]
                        ),
                        "baseline_score": rng.randint(1, 5),
                    }
                ],
                review_at_session=4,
                status="active" if active else "discharged",
                started_on=first,
                discharged_on=None if active else last,
                discharge_reason="" if active else "Goals met",
            )
        )
    Assessment.objects.bulk_create(assessments, batch_size=500)
    Consent.objects.bulk_create(consents, batch_size=500)
    for course, assessment in zip(courses, assessments, strict=True):
        course.assessment = assessment
    CourseOfCare.objects.bulk_create(courses, batch_size=500)
    findings_rows = []
    for assessment, plan in zip(assessments, plans, strict=True):
        for finding in plan[4]:
            finding.assessment = assessment
            findings_rows.append(finding)
    AssessmentFinding.objects.bulk_create(findings_rows, batch_size=1000, ignore_conflicts=True)

    sessions, session_rows, events = [], [], []
    for course, plan in zip(courses, plans, strict=True):
        patient, practitioner, _condition, _side, _findings, n_sessions, _due = plan
        clinic = patient.clinic
        pain = rng.randint(5, 8)
        targets = course.target_muscles[:6]
        lot = f"LOT-{rng.randint(1000, 9999)}"
        for number in range(1, n_sessions + 1):
            day = course.started_on + datetime.timedelta(days=course.frequency_days * (number - 1))
            started = _local(clinic, day, rng.randint(8, 16), rng.choice([0, 30]))
            after = max(0, pain - rng.randint(1, 3))
            rows = []
            for order, target in enumerate(targets, start=1):
                muscle = kb.muscles[target["muscle_id"]]
                low, high = muscle.depth_mm
                rows.append(
                    NeedlingRow(
                        order=order,
                        muscle_id=muscle.id,
                        side=target["side"],
                        paraspinal_level=muscle.level or "",
                        insertions=rng.randint(1, 5),
                        depth_mm=Decimal(rng.randint(low, high)),
                        needle_gauge="0.30",
                        needle_length_mm=Decimal(50 if high > 35 else 30),
                        lot_number=lot,
                        response=rng.choice(["twitch", "grasp_1", "grasp_2", "none"]),
                        tolerance=rng.choice(["good", "good", "fair"]),
                    )
                )
            needles = sum(r.insertions for r in rows) or 1
            session = TreatmentSession(
                uuid=ctx.uuid(),
                patient=patient,
                clinic=clinic,
                course=course,
                practitioner=practitioner,
                session_number=number,
                started_at=started,
                duration_minutes=rng.choice([20, 30, 30, 45]),
                pain_before=pain,
                pain_after=after,
                needles_in=needles,
                needles_out=needles,
                precheck={"checked": True, "items": [], "notes": ""},
                clean_technique={"skin_prep": True, "hand_hygiene": True, "sharps": True},
                aftercare_given=rng.choice(AFTERCARE),
                signed_at=started + datetime.timedelta(minutes=40),
                signed_by=practitioner,
            )
            sessions.append((session, rows))
            for kind, severity, rate, action, follow in AE_RATES:
                if rng.random() < rate:
                    events.append((session, kind, severity, action, follow, started))
            pain = max(1, pain - rng.choice([0, 1, 1]))
    TreatmentSession.objects.bulk_create([s for s, _rows in sessions], batch_size=500)
    for session, rows in sessions:
        for row in rows:
            row.session = session
            session_rows.append(row)
    NeedlingRow.objects.bulk_create(session_rows, batch_size=2000)
    AdverseEvent.objects.bulk_create(
        [
            AdverseEvent(
                uuid=ctx.uuid(),
                session=session,
                patient=session.patient,
                clinic=session.clinic,
                kind=kind,
                severity=severity,
                action_taken=action,
                follow_up=follow,
                occurred_at=started + datetime.timedelta(minutes=25),
                recorded_by=session.practitioner,
            )
            for session, kind, severity, action, follow, started in events
        ],
        batch_size=500,
    )
    record(
        by=None,
        action="demo.clinical",
        clinic=ctx.clinic,
        summary=f"Demo clinical records: {len(assessments)} assessments, {len(sessions)} "
        f"sessions, {len(events)} adverse events",
    )
