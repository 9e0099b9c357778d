"""The base of the operational commands (backup, restore, audit, export, knowledge tools)."""

from django.core.management.base import BaseCommand


class OperationalCommand(BaseCommand):
    """A command that serves no request. Django's system checks would first import the URL
    configuration and the whole API with its schemas, half of such a command's start; `imsclinic
    check`, `migrate` and `serve` still run them."""

    requires_system_checks = []
