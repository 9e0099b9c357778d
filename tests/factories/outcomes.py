"""Factories for outcomes: scored responses, and a course with signed sessions and dose."""

import datetime

import factory
from django.utils import timezone

from imsclinic.clinical.models import TreatmentSession
from imsclinic.knowledge import score_instrument
from imsclinic.outcomes.batching import note, one_refresh_per_course
from imsclinic.outcomes.models import QuestionnaireResponse
from tests.factories.clinical import (
    CourseOfCareFactory,
    NeedlingRowFactory,
    TreatmentSessionFactory,
)
from tests.factories.patients import PatientFactory


class QuestionnaireResponseFactory(factory.django.DjangoModelFactory):
    """An NPRS response by default; pass instrument_id + answers for others (scored here)."""

    class Meta:
        model = QuestionnaireResponse

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    instrument_id = "nprs"
    answers = factory.LazyAttribute(lambda o: {"pain": 6})
    total = factory.LazyAttribute(lambda o: score_instrument(o.instrument_id, o.answers).total)
    completed_at = factory.LazyFunction(timezone.now)
    completed_via = "portal"
    entered_by = None
    timepoint = "interim"
    session_number = 0


def course_with_sessions(
    *,
    patient,
    practitioner,
    pains: list[tuple[int, int]],
    start: datetime.datetime | None = None,
    levels=("L4", "L5"),
    insertions: int = 3,
    **course_fields,
):
    """A course with one signed session per (pain_before, pain_after), a week apart, each with
    one needling row per paraspinal level. Rows are added before signing (signed rows lock)."""
    start = start or timezone.now() - datetime.timedelta(weeks=len(pains))
    with one_refresh_per_course():
        course = CourseOfCareFactory(
            patient=patient,
            practitioner=practitioner,
            started_on=start.date(),
            **course_fields,
        )
        for index, (before, after) in enumerate(pains, start=1):
            session = TreatmentSessionFactory(
                patient=patient,
                practitioner=practitioner,
                course=course,
                session_number=index,
                started_at=start + datetime.timedelta(weeks=index - 1),
                pain_before=before,
                pain_after=after,
            )
            for level in levels:
                NeedlingRowFactory(
                    session=session,
                    muscle_id="lumbar_multifidus_l5" if level == "L5" else "lumbar_multifidus_l4",
                    paraspinal_level=level,
                    insertions=insertions,
                )
            TreatmentSession.objects.filter(pk=session.pk).update(
                signed_at=session.started_at + datetime.timedelta(minutes=40),
                signed_by=practitioner,
            )
        # Signing through sign_session keeps the course's priority columns and outcome rows current
        # (its audit event); these sessions are signed by a direct update, so the course's refresh at
        # the end of the block does what signing does.
        note(course.pk)
        return course


def scores(course, instrument_id: str, values: list[tuple[int, str, dict]], *, via="portal"):
    """Responses for `course`: (session_number, timepoint, answers), dated after that session."""
    with one_refresh_per_course():  # the course's rows once, not once per response
        return [
            _response(course, instrument_id, number, timepoint, answers, via)
            for number, timepoint, answers in values
        ]


def _response(course, instrument_id, number, timepoint, answers, via):
    session = TreatmentSession.objects.filter(course=course, session_number=number).first()
    at = (
        session.started_at + datetime.timedelta(minutes=45)
        if session
        else timezone.make_aware(datetime.datetime.combine(course.started_on, datetime.time(8)))
    )
    return QuestionnaireResponseFactory(
        patient=course.patient,
        course=course,
        instrument_id=instrument_id,
        answers=answers,
        timepoint=timepoint,
        session_number=number,
        completed_at=at,
        completed_via=via,
        entered_by=course.practitioner if via == "clinic" else None,
    )
