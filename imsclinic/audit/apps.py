from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "imsclinic.audit"
    label = "audit"
