import factory

from imsclinic.knowledge import clear_answers
from imsclinic.screening.models import EvaluationRequest
from tests.factories.accounts import ClinicFactory


class EvaluationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationRequest

    clinic = factory.SubFactory(ClinicFactory)
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.given_name}.{o.family_name}@example.org".lower())
    phone = "(403) 555-0101"
    answers = factory.LazyFunction(lambda: clear_answers({"pain_duration_months": 8}))
    outcome = "likely_candidate"
    reasons = factory.LazyFunction(list)
    pain_regions = factory.LazyFunction(lambda: ["low_back"])
