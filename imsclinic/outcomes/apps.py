from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "imsclinic.outcomes"
    label = "outcomes"

    def ready(self):
        from imsclinic.patients.chart import ChartTab, register_tab

        register_tab(ChartTab("outcomes", "Outcomes", "outcomes:tab", clinical=True))
        from imsclinic.outcomes import course_outcomes, signals

        signals.connect()
        course_outcomes.connect()
