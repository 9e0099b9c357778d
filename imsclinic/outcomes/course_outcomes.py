"""Per-course outcome rows: what the analytics MCID figures need from each course, computed when
the course's records change instead of by correlated subqueries on every page view.

One `CourseOutcome` row per course and instrument (one with an MCID, usable at the course's
clinic) on which the course has a baseline: the baseline total, whether a follow-up response
exists, the lowest session number of a follow-up that improved on the baseline by the MCID, the
course's signed sessions, and copies of the course fields the filters and groupings read (start
date, condition, practitioner). Definitions: outcomes/analytics.py.

Kept current by:
- saves and deletions of questionnaire responses, sessions and courses (model signals);
- signing, a queryset update that sends no model signal (`core.signals.chart_written`,
  COURSE_OUTCOME_ACTIONS): the patient's courses;
- a save of a clinic's own instrument (its MCID, direction or activation): that instrument's rows
  at the clinic;
- `imsclinic analytics rebuild` (rollups.rebuild_derived), after the demo and benchmark
  generators' bulk writes, or to check.

Each row keeps the MCID and direction it was computed with; `grouped_rows` recomputes rows
computed with another definition (a knowledge base upgrade that changed an MCID) before it counts
them, rather than show figures for the wrong threshold.
"""

import logging

from django.db import transaction
from django.db.models import Count, Q

from imsclinic.outcomes import batching
from imsclinic.outcomes.analytics import EPSILON
from imsclinic.outcomes.instruments import instrument_lookup
from imsclinic.outcomes.models import CourseOutcome, QuestionnaireResponse, Timepoint

logger = logging.getLogger(__name__)

BATCH = 2000
# Audited writes that change what the rows hold without a model signal: signing is a queryset
# update. Courses and responses are saved with model signals; draft edits (session.update, rows)
# change nothing here and must not take the clinic lock.
COURSE_OUTCOME_ACTIONS = ("session.sign",)


class StaleCourseOutcomes(RuntimeError):
    """Rows computed with another MCID or direction than the instrument has now."""


def meets_mcid(instrument, baseline: float, total: float) -> bool:
    """Improved on `baseline` by at least the MCID (direction-aware), in the arithmetic the
    analytics SQL used (baseline ± (mcid - EPSILON)), so no figure moves."""
    if instrument.higher_is_better:
        return total >= baseline + (instrument.mcid - EPSILON)
    return total <= baseline - (instrument.mcid - EPSILON)


def outcome_rows(course, signed_sessions: int, responses, instruments) -> list[CourseOutcome]:
    """The rows of one course, from its responses in chronological order (completed_at, id)."""
    per_instrument: dict[str, list] = {}
    for response in responses:
        per_instrument.setdefault(response.instrument_id, []).append(response)
    rows = []
    for instrument_id, series in per_instrument.items():
        instrument = instruments.get(instrument_id)
        if instrument is None or instrument.mcid is None:
            continue  # the analytics filters do not offer it at this clinic
        intake = [r for r in series if r.timepoint == Timepoint.INTAKE]
        if not intake:
            continue
        baseline = intake[0].total
        follow_ups = [r for r in series if r.timepoint != Timepoint.INTAKE]
        reached = [
            r.session_number for r in follow_ups if meets_mcid(instrument, baseline, r.total)
        ]
        rows.append(
            CourseOutcome(
                course_id=course.pk,
                clinic_id=course.clinic_id,
                instrument_id=instrument_id,
                started_on=course.started_on,
                condition_id=course.condition_id,
                practitioner_id=course.practitioner_id,
                signed_sessions=signed_sessions,
                baseline_total=baseline,
                has_follow_up=bool(follow_ups),
                first_mcid_session=min(reached) if reached else None,
                mcid=instrument.mcid,
                higher_is_better=instrument.higher_is_better,
            )
        )
    return rows


def refresh_courses(courses) -> int:
    """Recompute the rows of `courses` (a CourseOfCare queryset); returns how many rows it wrote.
    A fixed number of queries per batch of courses."""
    written = 0
    ids = list(courses.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            written += _refresh_batch(ids[start : start + BATCH])
    return written


def _refresh_batch(ids: list[int]) -> int:
    from imsclinic.accounts.models import Clinic
    from imsclinic.clinical.models import CourseOfCare, TreatmentSession

    # Serialise the refreshes of a clinic's rows, as rollups.refresh_clinic_months does, before
    # reading anything: two writes to one course at once (two responses, a signature and a
    # response) would otherwise each write the row from a snapshot without the other's record,
    # or collide on the (course, instrument) key. NO KEY UPDATE does not block inserts that
    # reference the clinic; like the rollups' lock it comes after the records' locks and before
    # the audit chain's (record() sends chart_written before it appends).
    clinics = CourseOfCare.objects.filter(pk__in=ids).values("clinic_id")
    list(Clinic.objects.select_for_update(no_key=True).filter(pk__in=clinics).order_by("pk"))
    batch = list(
        CourseOfCare.objects.filter(pk__in=ids)
        .select_related("clinic")
        .only("clinic", "started_on", "condition_id", "practitioner_id")
    )
    pks = [c.pk for c in batch]
    signed = dict(
        TreatmentSession.objects.filter(course_id__in=pks, signed_at__isnull=False)
        .order_by()
        .values("course")
        .annotate(n=Count("id"))
        .values_list("course", "n")
    )
    responses: dict[int, list] = {}
    for r in (
        QuestionnaireResponse.objects.filter(course_id__in=pks)
        .chronological()
        # Tuples, not models: a rebuild reads every response of the network.
        .values_list(
            "course_id", "instrument_id", "timepoint", "total", "session_number", named=True
        )
    ):
        responses.setdefault(r.course_id, []).append(r)
    lookups: dict[int, dict] = {}
    rows = []
    for course in batch:
        if course.clinic_id not in lookups:
            lookups[course.clinic_id] = instrument_lookup(course.clinic)
        rows += outcome_rows(
            course,
            signed.get(course.pk, 0),
            responses.get(course.pk, []),
            lookups[course.clinic_id],
        )
    CourseOutcome.objects.filter(course_id__in=pks).delete()
    CourseOutcome.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def refresh_course(course_id: int) -> None:
    from imsclinic.clinical.models import CourseOfCare

    refresh_courses(CourseOfCare.objects.filter(pk=course_id))


def refresh_for_patient(patient_id: int) -> None:
    from imsclinic.clinical.models import CourseOfCare

    refresh_courses(CourseOfCare.objects.filter(patient_id=patient_id))


def refresh_clinic_instrument(clinic_id: int, instrument_id: str) -> None:
    """The courses of a clinic with a response on `instrument_id` (its definition changed)."""
    from imsclinic.clinical.models import CourseOfCare

    courses = QuestionnaireResponse.objects.filter(
        clinic_id=clinic_id, instrument_id=instrument_id, course__isnull=False
    ).values("course_id")
    refresh_courses(CourseOfCare.objects.filter(pk__in=courses))


def rebuild(clinics) -> int:
    """Recompute every row of `clinics` from the records; returns the rows written."""
    from imsclinic.clinical.models import CourseOfCare

    written = 0
    for clinic in clinics:
        with transaction.atomic():
            CourseOutcome.objects.filter(clinic=clinic).delete()
            written += refresh_courses(CourseOfCare.objects.filter(clinic=clinic))
    return written


# --- reading ------------------------------------------------------------------------------------


def grouped_rows(f) -> list[dict]:
    """The courses of the filter `f` with a baseline on its instrument, counted per
    (condition_id, practitioner_id, has_follow_up, first_mcid_session) (see `_grouped`).

    Rows computed with another MCID or direction than the instrument has now (a knowledge base
    upgrade changed it, and nobody ran `imsclinic analytics rebuild`) are recomputed for the
    clinic and instrument before they are counted: figures for the wrong threshold are never
    shown, and the clinic admin never meets an error for derived data the app can rebuild.
    """
    grouped, stale = _grouped(f)
    if stale:
        logger.warning(
            "Course outcome rows of instrument %s at clinic %s were computed with %s; "
            "recomputing them (run `imsclinic analytics rebuild` after an upgrade)",
            f.instrument.id,
            f.clinic.pk,
            sorted(stale),
        )
        refresh_clinic_instrument(f.clinic.pk, f.instrument.id)
        grouped, stale = _grouped(f)
        if stale:
            raise StaleCourseOutcomes(
                f"The course outcome rows of {f.instrument.id} still hold {sorted(stale)} "
                "after they were recomputed."
            )
    return grouped


def _grouped(f) -> tuple[list[dict], set]:
    """The courses of the filter `f` with a baseline on its instrument, counted per
    (condition_id, practitioner_id, has_follow_up, first_mcid_session): "courses", and of them
    "eligible" (at least `f.review_session` signed sessions) and "non_responders" (eligible,
    without an MCID by that session).

    One GROUP BY over an index range of this table (the index holds every column read): the
    rows returned depend on the clinic's conditions, practitioners and session numbers, not on
    how many courses it has.
    """
    instrument = f.instrument
    rows = CourseOutcome.objects.filter(clinic=f.clinic, instrument_id=instrument.id)
    if f.start:
        rows = rows.filter(started_on__gte=f.start)
    if f.end:
        rows = rows.filter(started_on__lte=f.end)
    if f.condition:
        rows = rows.filter(condition_id=f.condition)
    eligible = Q(signed_sessions__gte=f.review_session)
    not_by_review = Q(first_mcid_session__isnull=True) | Q(first_mcid_session__gt=f.review_session)
    grouped = list(
        rows.values(
            "condition_id",
            "practitioner_id",
            "has_follow_up",
            "first_mcid_session",
            "mcid",
            "higher_is_better",
        )
        .annotate(
            # Counting a non-null column of the index keeps the query on the index.
            courses=Count("started_on"),
            eligible=Count("started_on", filter=eligible),
            non_responders=Count("started_on", filter=eligible & not_by_review),
        )
        .order_by()
    )
    stale = {
        definition
        for row in grouped
        if (definition := (row.pop("mcid"), row.pop("higher_is_better")))
        != (instrument.mcid, instrument.higher_is_better)
    }
    return grouped, stale


# --- maintenance hooks --------------------------------------------------------------------------


def _chart_written(sender, patient_id, action="", **kwargs):
    if action.startswith(COURSE_OUTCOME_ACTIONS):
        refresh_for_patient(patient_id)


def _course_record_written(sender, instance, **kwargs):
    if getattr(instance, "signed_at", True) is None:
        return  # a draft session counts for nothing here
    if instance.course_id is not None and not batching.note(instance.course_id):
        refresh_course(instance.course_id)


def _course_saved(sender, instance, **kwargs):
    if not batching.note(instance.pk):
        refresh_course(instance.pk)


def _clinic_instrument_saved(sender, instance, **kwargs):
    refresh_clinic_instrument(instance.clinic_id, instance.instrument_id)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from imsclinic.clinical.models import CourseOfCare, TreatmentSession
    from imsclinic.core.signals import chart_written
    from imsclinic.outcomes.models import ClinicInstrument

    chart_written.connect(_chart_written, dispatch_uid="course-outcomes-chart")
    for model in (TreatmentSession, QuestionnaireResponse):
        for signal in (post_save, post_delete):
            signal.connect(
                _course_record_written,
                sender=model,
                dispatch_uid=f"course-outcomes-{model.__name__}-{signal is post_save}",
            )
    post_save.connect(_course_saved, sender=CourseOfCare, dispatch_uid="course-outcomes-course")
    post_save.connect(
        _clinic_instrument_saved, sender=ClinicInstrument, dispatch_uid="course-outcomes-instr"
    )
