"""Video links (a service's video room, an appointment's own link) and one reminder per lead
time: each reminder already sent is given the lead time it was sent at (the clinic's single
lead time before this change, now the only item of its list: accounts 0003)."""

import imsclinic.scheduling.models
from django.db import migrations, models


def _lead_of_sent_reminders(apps, schema_editor):
    Notification = apps.get_model("scheduling", "Notification")
    Clinic = apps.get_model("accounts", "Clinic")
    for clinic in Clinic.objects.all():
        leads = (clinic.policies or {}).get("reminder_lead_hours", [24])
        lead = max(leads) if isinstance(leads, list) and leads else 24
        Notification.objects.filter(
            kind="reminder", lead_hours__isnull=True, appointment__clinic=clinic
        ).update(lead_hours=lead)


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0005_waitlist'),
        ('accounts', '0003_reminder_lead_times_list'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='notification',
            name='scheduling_one_reminder_per_appointment_channel',
        ),
        migrations.AddField(
            model_name='appointment',
            name='video_url',
            field=models.URLField(blank=True, help_text='The https:// address the patient opens for a video visit.', max_length=500, validators=[imsclinic.scheduling.models.validate_video_link]),
        ),
        migrations.AddField(
            model_name='notification',
            name='lead_hours',
            field=models.PositiveSmallIntegerField(blank=True, help_text='For a reminder: how many hours before the visit.', null=True),
        ),
        migrations.AddField(
            model_name='service',
            name='video_url',
            field=models.URLField(blank=True, help_text="For video services: the clinic's video room, given to each booking (an appointment can have its own link instead).", max_length=500, validators=[imsclinic.scheduling.models.validate_video_link]),
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('confirmation', 'Confirmation'), ('reminder', 'Reminder'), ('cancellation', 'Cancellation'), ('reschedule', 'Moved'), ('video_link', 'Video link')], max_length=20),
        ),
        migrations.RunPython(_lead_of_sent_reminders, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'reminder')), fields=('appointment', 'kind', 'channel', 'lead_hours'), name='scheduling_one_reminder_per_channel_and_lead'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'reminder'), _negated=True), ('lead_hours__isnull', False), _connector='OR'), name='scheduling_reminder_has_lead_hours'),
        ),
    ]
