from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "imsclinic.clinical"
    label = "clinical"

    def ready(self):
        from imsclinic.patients.chart import ChartTab, register_tab

        register_tab(ChartTab("assessment", "Assessment", "clinical:assessment-tab", clinical=True))
        register_tab(ChartTab("course", "Course", "clinical:course", clinical=True))
        register_tab(ChartTab("sessions", "Sessions", "clinical:sessions", clinical=True))
