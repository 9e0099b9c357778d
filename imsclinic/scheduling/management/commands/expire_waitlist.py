"""`imsclinic expire_waitlist`: close waitlist entries whose last date has passed and offers
nobody answered in time (their waiters wait again). Run it with send_reminders, e.g. every 15
minutes; a second run changes nothing."""

from django.core.management.base import BaseCommand

from imsclinic.accounts.models import Clinic
from imsclinic.scheduling.waitlist.actions import expire


class Command(BaseCommand):
    help = "Expire past waitlist entries and unanswered waitlist offers, in every clinic."

    def handle(self, *args, **options):
        entries = offers = 0
        for clinic in Clinic.objects.all():
            done = expire(clinic=clinic)
            entries, offers = entries + done[0], offers + done[1]
        self.stdout.write(f"Waitlist entries expired: {entries}; offers expired: {offers}")
