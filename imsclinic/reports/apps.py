from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "imsclinic.reports"
    label = "reports"
