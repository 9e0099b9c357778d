"""Factories for clinical records. Sessions default to a clean, signable state."""

from decimal import Decimal

import factory
from django.utils import timezone

from imsclinic.clinical.models import (
    DEFAULT_CONSENT_BODY,
    AdverseEvent,
    Assessment,
    Consent,
    ConsentTextVersion,
    CourseOfCare,
    NeedlingRow,
    TreatmentSession,
)
from tests.factories.accounts import UserFactory
from tests.factories.patients import PatientFactory


class ConsentTextVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentTextVersion

    clinic = factory.SubFactory("tests.factories.accounts.ClinicFactory")
    version = factory.Sequence(lambda n: n + 1)
    body = DEFAULT_CONSENT_BODY
    covers_thorax = True


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    text_version = factory.LazyAttribute(
        lambda o: (
            ConsentTextVersion.current_for(o.clinic)
            or ConsentTextVersionFactory(clinic=o.clinic, version=1)
        )
    )
    explained_by = factory.SubFactory(UserFactory)
    signature_name = factory.LazyAttribute(lambda o: o.patient.full_name)
    covers_thorax = False


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    practitioner = factory.SubFactory(UserFactory)
    assessed_on = factory.LazyAttribute(lambda o: o.clinic.today())


class CourseOfCareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseOfCare

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    practitioner = factory.SubFactory(UserFactory)
    target_segments = ["L5-R", "S1-R"]
    target_muscles = [{"muscle_id": "gluteus_medius", "side": "R"}]
    planned_sessions = 8
    frequency_days = 7
    goals = [{"activity": "Sit through a one-hour meeting", "baseline_score": 3}]
    started_on = factory.LazyAttribute(lambda o: o.clinic.today())


class TreatmentSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentSession

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    practitioner = factory.SubFactory(UserFactory)
    session_number = factory.Sequence(lambda n: n + 1)
    started_at = factory.LazyFunction(timezone.now)
    pain_before = 6
    pain_after = 3
    needles_in = 6
    needles_out = 6
    duration_minutes = 30
    precheck = {"checked": True, "items": [], "notes": ""}
    clean_technique = {"skin_prep": True, "hand_hygiene": True, "sharps": True}
    aftercare_given = "Heat, gentle movement; expect soreness for 24-36 hours."


class NeedlingRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedlingRow

    session = factory.SubFactory(TreatmentSessionFactory)
    order = factory.Sequence(lambda n: n + 1)
    muscle_id = "gluteus_medius"
    side = "R"
    insertions = 3
    depth_mm = Decimal("30")
    needle_gauge = "0.30"
    needle_length_mm = Decimal("50")
    lot_number = "LOT-2291"
    response = "twitch"
    tolerance = "good"


class AdverseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdverseEvent

    session = factory.SubFactory(TreatmentSessionFactory)
    patient = factory.SelfAttribute("session.patient")
    clinic = factory.SelfAttribute("session.clinic")
    kind = "bruising"
    severity = "mild"
    action_taken = "Pressure and reassurance."
