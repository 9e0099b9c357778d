from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "imsclinic.scheduling"
    label = "scheduling"

    def ready(self):
        from imsclinic.gateway.signals import credentials_ended
        from imsclinic.scheduling import booked

        credentials_ended.connect(_end_feeds, dispatch_uid="scheduling.end_feeds")
        booked.connect()


def _end_feeds(sender, user, reason, **kwargs):
    """A deactivated account or a changed password ends the person's calendar feed links."""
    from imsclinic.scheduling.actions import end_feeds

    end_feeds(practitioner=user, by=None, reason=reason)
