from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "imsclinic.bench"
    label = "bench"
