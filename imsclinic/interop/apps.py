from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "imsclinic.interop"
    label = "interop"
