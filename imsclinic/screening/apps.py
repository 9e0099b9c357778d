from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "imsclinic.screening"
    label = "screening"
