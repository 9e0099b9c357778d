from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "imsclinic.outcomes"
    label = "outcomes"
