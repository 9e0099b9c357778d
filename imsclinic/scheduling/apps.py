from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "imsclinic.scheduling"
    label = "scheduling"
