from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    """Clinic administration by the clinic admin role: staff, clinic settings and policies,
    services. The models it edits live in accounts (Clinic, Membership, registrations) and
    scheduling (Service); this app holds the actions, pages and API that change them."""

    name = "imsclinic.clinics"
    label = "clinics"
