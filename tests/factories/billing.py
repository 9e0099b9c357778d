import factory

from imsclinic.billing.models import Coverage, PayerKind
from tests.factories.patients import PatientFactory


class CoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coverage

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.LazyAttribute(lambda c: c.patient.clinic)
    payer_kind = PayerKind.EXTENDED_HEALTH
    insurer_name = "Sun Life"
    plan_number = "PL-20431"
    member_id = factory.Sequence(lambda n: f"M{n:07d}")
