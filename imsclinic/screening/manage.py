"""Signed links that let an online booker change or cancel their own booking without an account.

The link carries the appointment's public id signed with the site's secret (django.core.signing,
its own salt) and a timestamp; it is refused once older than LINK_MAX_AGE or after the visit has
started. What the link may do is still bounded by the clinic's cancellation window, checked by
the actions (screening.actions.cancel_online / reschedule_online), not by the link.
"""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "imsclinic.screening.manage-booking"
# Online booking opens 14 days ahead; a rescheduled visit gets a fresh link in its own email.
LINK_MAX_AGE = datetime.timedelta(days=60)


def manage_token(appointment) -> str:
    return signing.dumps(str(appointment.uuid), salt=SALT, compress=False)


def manage_url(appointment) -> str:
    path = reverse("screening:manage", args=[appointment.clinic.slug, manage_token(appointment)])
    return settings.SITE_URL.rstrip("/") + path


def appointment_uuid(token: str) -> str | None:
    """The appointment's public id from a valid, unexpired token, else None."""
    try:
        return signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired, its subclass
        return None
