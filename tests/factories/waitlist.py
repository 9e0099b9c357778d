import factory

from imsclinic.scheduling.waitlist.models import WaitlistEntry
from tests.factories.accounts import ClinicFactory
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import ServiceFactory


class WaitlistEntryFactory(factory.django.DjangoModelFactory):
    """An open waitlist entry written directly (tests of the actions go through add_entry)."""

    class Meta:
        model = WaitlistEntry

    clinic = factory.SubFactory(ClinicFactory)
    patient = factory.SubFactory(PatientFactory, clinic=factory.SelfAttribute("..clinic"))
    service = factory.SubFactory(ServiceFactory, clinic=factory.SelfAttribute("..clinic"))
    earliest_date = factory.LazyAttribute(lambda o: o.clinic.today())
