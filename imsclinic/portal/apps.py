from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "imsclinic.portal"
    label = "portal"
