from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "imsclinic.clinical"
    label = "clinical"
