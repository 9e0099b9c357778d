from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicalConfig(AppConfig):
    name = "imsclinic.clinical"
    label = "clinical"

    def ready(self):
        from imsclinic.clinical.evidence import has_signed_assessment
        from imsclinic.patients.chart import ChartTab, register_tab
        from imsclinic.scheduling.models import ASSESSMENT_EVIDENCE

        if has_signed_assessment not in ASSESSMENT_EVIDENCE:
            ASSESSMENT_EVIDENCE.append(has_signed_assessment)

        register_tab(ChartTab("assessment", "Assessment", "clinical:assessment-tab", clinical=True))
        register_tab(ChartTab("course", "Course", "clinical:course", clinical=True))
        register_tab(ChartTab("sessions", "Sessions", "clinical:sessions", clinical=True))

        from imsclinic.clinical import locks

        locks.register()
        post_migrate.connect(
            locks.install_after_migrate, sender=self, dispatch_uid="clinical-locks"
        )
