from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "imsclinic.core"
    label = "core"

    def ready(self):
        from imsclinic.core import (
            checks,  # noqa: F401  (registers system checks)
            db,  # noqa: F401  (connects database tuning signals)
        )
