"""{% load clinic_logo %}: the clinic's logo in pages ({% clinic_logo_url clinic %}) and in PDFs
({% clinic_logo_data_uri clinic %}). Both are empty when the clinic has no logo."""

from pathlib import PurePosixPath

from django import template
from django.urls import reverse

from imsclinic.clinics import logo

register = template.Library()


@register.simple_tag
def clinic_logo_url(clinic) -> str:
    if not clinic or not clinic.logo:
        return ""
    # The stored name changes with the content, so it versions the address for caches.
    version = PurePosixPath(clinic.logo.name).stem.rsplit("-", 1)[-1]
    return f"{reverse('front:logo', args=[clinic.slug])}?v={version}"


@register.simple_tag
def clinic_logo_data_uri(clinic) -> str:
    if not clinic or not clinic.logo:
        return ""
    return logo.data_uri(clinic)
