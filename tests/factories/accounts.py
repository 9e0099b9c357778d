import datetime

import factory

from imsclinic.accounts.models import (
    Clinic,
    Membership,
    NeedlingAuthorisation,
    ProfessionalRegistration,
    Role,
    User,
)

TEST_PASSWORD = "correct-horse-battery-staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "America/Edmonton"
    region = "AB"
    city = "Calgary"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    # Hashed before the INSERT: setting it after creation was a second save that the gateway
    # reads as a password change (a lookup, a token revocation, the credentials_ended signal),
    # about 2.5 ms for each of the suite's thousands of users.
    password = factory.django.Password(TEST_PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.PRACTITIONER


class NeedlingAuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedlingAuthorisation

    user = factory.SubFactory(UserFactory)
    jurisdiction = "CA-AB"
    authority = "Physiotherapy Alberta College + Association"
    number = factory.Sequence(lambda n: f"DN-{n:05d}")
    issued_on = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=365))
    expires_on = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=365))


class ProfessionalRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProfessionalRegistration

    user = factory.SubFactory(UserFactory)
    regulator = "Physiotherapy Alberta College + Association"
    jurisdiction = "CA-AB"
    number = factory.Sequence(lambda n: f"PT-{n:05d}")
    expires_on = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=365))
