import datetime

import factory

from imsclinic.patients.models import Patient
from tests.factories.accounts import ClinicFactory


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    chart_number = factory.Sequence(lambda n: f"{n + 1:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=datetime.date(1940, 1, 1), end_date=datetime.date(2005, 1, 1)
    )
    phone = factory.Sequence(lambda n: f"(403) 555-{n % 10000:04d}")
    email = factory.LazyAttribute(lambda p: f"{p.given_name}.{p.family_name}@example.org".lower())
