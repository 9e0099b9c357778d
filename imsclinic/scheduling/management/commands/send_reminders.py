"""`imsclinic send_reminders`: email appointment reminders that are due. Run it every 15 minutes
(cron or a systemd timer); it is idempotent, so a second run sends nothing new."""

from django.core.management.base import BaseCommand

from imsclinic.scheduling.notifications import send_due_reminders


class Command(BaseCommand):
    help = (
        "Email reminders (with an .ics attachment) for appointments within each clinic's lead time."
    )

    def handle(self, *args, **options):
        counts = send_due_reminders()
        self.stdout.write(
            f"Reminders sent: {counts['sent']}; patients without email: {counts['no_email']}; "
            f"failed (will retry): {counts['failed']}"
        )
        return None
