from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BillingConfig(AppConfig):
    name = "imsclinic.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self):
        from imsclinic.accounts.models import Role
        from imsclinic.patients.chart import ChartTab, register_tab

        # Front desk and clinic admins bill; practitioners see their revenue in the reports.
        register_tab(
            ChartTab(
                "billing",
                "Billing",
                "billing:patient",
                roles=(Role.FRONT_DESK, Role.CLINIC_ADMIN),
            )
        )

        from imsclinic.billing import locks

        locks.register()
        post_migrate.connect(locks.install_after_migrate, sender=self, dispatch_uid="billing-locks")
