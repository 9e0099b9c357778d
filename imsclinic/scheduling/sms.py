"""Text messages behind one small interface, so a provider can be swapped by a setting.

IMSCLINIC_SMS_BACKEND names a class with `send(*, to: str, body: str) -> None` that raises on
failure. The default prints to the console (development); a provider's client (Twilio, Telnyx,
…) goes in such a class in deployment code and is named in settings. No provider is bundled.
"""

import sys

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "imsclinic.scheduling.sms.ConsoleSmsBackend"


class ConsoleSmsBackend:
    """Writes each message to standard output, like Django's console email backend."""

    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}:\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()


def backend():
    return import_string(getattr(settings, "IMSCLINIC_SMS_BACKEND", DEFAULT_BACKEND))()
