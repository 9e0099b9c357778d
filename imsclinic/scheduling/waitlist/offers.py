"""Offer messages and their signed links.

Each recipient gets a link carrying their OfferRecipient's public id signed with the site's
secret (django.core.signing, its own salt), like the online booker's manage link. The link only
identifies the answer; whether it can still book is decided by accept_offer (the offer's state,
its expiry, the patient rules). Messages go out after the offer is committed, through Django's
email backend and the SMS backend (scheduling.sms), never inside a write transaction; each
recipient row records what happened per channel.
"""

import datetime
import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse

from imsclinic.scheduling import sms
from imsclinic.scheduling.waitlist.models import OfferRecipient

logger = logging.getLogger(__name__)
SALT = "imsclinic.scheduling.waitlist-offer"
# Offers last hours, not days; the link dies well after any offer could still be open.
LINK_MAX_AGE = datetime.timedelta(days=4)


def offer_token(recipient) -> str:
    return signing.dumps(str(recipient.uuid), salt=SALT, compress=False)


def offer_url(recipient) -> str:
    path = reverse("scheduling:waitlist:accept", args=[offer_token(recipient)])
    return settings.SITE_URL.rstrip("/") + path


def recipient_uuid(token: str) -> str | None:
    try:
        return signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None


def _when(offer) -> str:
    return offer.starts_at.astimezone(offer.clinic.tz).strftime("%A %-d %B at %H:%M")


def _until(offer) -> str:
    return offer.expires_at.astimezone(offer.clinic.tz).strftime("%A %-d %B at %H:%M")


def message_text(recipient) -> tuple[str, str, str]:
    """(email subject, email body, text message) offering the time to `recipient`."""
    offer, entry = recipient.offer, recipient.entry
    clinic, what = offer.clinic, entry.service.name
    when, url = _when(offer), offer_url(recipient)
    subject = f"An earlier time at {clinic.name}: {what} on {when}"
    body = (
        f"Hello {entry.patient.given_name},\n\n"
        f"You are on the waitlist at {clinic.name} for {what}. A time has opened up:\n"
        f"{when} with {offer.practitioner.display_name}.\n\n"
        f"To take it, open this link and confirm:\n{url}\n\n"
        f"This offer went to more than one person waiting: the first to confirm gets the time. "
        f"It is open until {_until(offer)}.\n"
        f"If the time does not suit you, do nothing: you stay on the waitlist.\n\n"
        f"{clinic.name}{' · ' + clinic.phone if clinic.phone else ''}\n"
    )
    text = (
        f"{clinic.name}: an earlier time for {what} is free on {when} with "
        f"{offer.practitioner.display_name}. First to confirm gets it: {url}"
    )
    return subject, body, text


def send_offer_messages(recipient_ids: list[int]) -> None:
    """Send each recipient's email and/or text (the channels marked "sending") and record the
    outcome. Runs after commit; a failed channel is recorded as failed, not retried."""
    recipients = OfferRecipient.objects.filter(pk__in=recipient_ids).select_related(
        "offer__clinic", "offer__practitioner", "entry__patient", "entry__service"
    )
    for recipient in recipients:
        subject, body, text = message_text(recipient)
        patient, clinic = recipient.entry.patient, recipient.offer.clinic
        states = {}
        if recipient.email_state == "sending":
            if not patient.email:
                states["email_state"] = "no_email"
            else:
                try:
                    EmailMessage(
                        subject=subject,
                        body=body,
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[patient.email],
                        reply_to=[clinic.email] if clinic.email else None,
                    ).send()
                    states["email_state"] = "sent"
                except Exception:
                    logger.exception("Waitlist offer email to recipient %s failed", recipient.pk)
                    states["email_state"] = "failed"
        if recipient.sms_state == "sending":
            if not patient.phone:
                states["sms_state"] = "no_phone"
            else:
                try:
                    sms.backend().send(to=patient.phone, body=text)
                    states["sms_state"] = "sent"
                except Exception:
                    logger.exception("Waitlist offer text to recipient %s failed", recipient.pk)
                    states["sms_state"] = "failed"
        if states:
            OfferRecipient.objects.filter(pk=recipient.pk).update(**states)
