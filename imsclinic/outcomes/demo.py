"""Demo questionnaire responses over the demo courses of care (a DEMO_STEPS contribution).

Realistic trajectories, deterministic from ctx.rng: about 70 % of courses respond (NPRS falls by
at least its MCID somewhere between sessions 3 and 6, PSFS rises), about 30 % do not (scores
wander within the MCID). PGIC and GROC are answered at the review point. Rows are bulk-created.
"""

import datetime

from imsclinic.knowledge import score_instrument
from imsclinic.outcomes.models import CompletedVia, QuestionnaireResponse, Timepoint

NON_RESPONDER_SHARE = 0.3


def build(ctx) -> None:
    from imsclinic.clinical.models import CourseOfCare, TreatmentSession

    rng = ctx.rng
    courses = list(
        CourseOfCare.objects.filter(clinic__in=[ctx.clinic, ctx.other_clinic])
        .select_related("clinic")
        .order_by("id")
    )
    if not courses or QuestionnaireResponse.objects.filter(course__in=courses).exists():
        return
    sessions: dict[int, list[tuple[int, datetime.datetime]]] = {}
    for course_id, number, started in (
        TreatmentSession.objects.filter(course__in=courses, signed_at__isnull=False)
        .order_by("course_id", "session_number")
        .values_list("course_id", "session_number", "started_at")
    ):
        sessions.setdefault(course_id, []).append((number, started))
    advance = ctx.progress("Outcome questionnaires", len(courses))
    batch: list[QuestionnaireResponse] = []
    for course in courses:
        batch += _course_responses(ctx, rng, course, sessions.get(course.pk, []))
        advance(1)
        if len(batch) >= 2000:
            QuestionnaireResponse.objects.bulk_create(batch)
            batch = []
    if batch:
        QuestionnaireResponse.objects.bulk_create(batch)


def _course_responses(ctx, rng, course, done: list[tuple[int, datetime.datetime]]):
    responder = rng.random() >= NON_RESPONDER_SHARE
    mcid_at = rng.randint(3, 6)  # session by which a responder's pain has fallen >= 2 points
    pain0 = rng.randint(5, 8)
    function0 = rng.randint(2, 4)
    tz = course.clinic.tz
    if done:
        intake_at = done[0][1] - datetime.timedelta(minutes=20)
    else:
        intake_at = datetime.datetime.combine(course.started_on, datetime.time(9), tzinfo=tz)
    rows = []

    def add(instrument_id, answers, timepoint, at, number):
        score = score_instrument(instrument_id, answers)
        portal = rng.random() < 0.4
        rows.append(
            QuestionnaireResponse(
                uuid=ctx.uuid(),
                patient_id=course.patient_id,
                clinic_id=course.clinic_id,
                course=course,
                instrument_id=instrument_id,
                answers=answers,
                total=score.total,
                subscales=score.subscales,
                normalised=score.normalised,
                interpretation=score.interpretation or "",
                completed_at=at,
                completed_via=CompletedVia.PORTAL if portal else CompletedVia.CLINIC,
                entered_by_id=None if portal else course.practitioner_id,
                timepoint=timepoint,
                session_number=number,
            )
        )

    def psfs(value):
        value = max(0, min(10, value))
        return {
            "activity_1": value,
            "activity_2": max(0, value - 1),
            "activity_3": min(10, value + 1),
        }

    add("nprs", {"pain": pain0}, Timepoint.INTAKE, intake_at, 0)
    add("psfs", psfs(function0), Timepoint.INTAKE, intake_at, 0)
    for number, started in done:
        if number % 2 and number != course.review_at_session:
            continue
        if responder:
            # Improvement grows with each session and reaches >= 2 by `mcid_at`.
            gain = min(
                pain0, round(2 * number / mcid_at + rng.choice([0, 0, 1]) * (number >= mcid_at))
            )
        else:
            gain = rng.choice([-1, 0, 0, 1])
        pain = max(0, min(10, pain0 - gain))
        at = started + datetime.timedelta(minutes=40)
        timepoint = Timepoint.REVIEW if number == course.review_at_session else Timepoint.INTERIM
        add("nprs", {"pain": pain}, timepoint, at, number)
        add(
            "psfs",
            psfs(function0 + (gain if responder else rng.choice([0, 1]))),
            timepoint,
            at,
            number,
        )
        if number == course.review_at_session:
            if responder and gain >= 2:
                add("pgic", {"change": rng.choice([1, 2, 2])}, timepoint, at, number)
                add("groc", {"change": rng.choice([4, 5, 6])}, timepoint, at, number)
            else:
                add("pgic", {"change": rng.choice([3, 4, 4])}, timepoint, at, number)
                add("groc", {"change": rng.choice([0, 1, 2])}, timepoint, at, number)
    return rows
