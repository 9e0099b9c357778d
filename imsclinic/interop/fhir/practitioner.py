"""Practitioner (a staff user) and PractitionerRole (their role at one clinic)."""

from imsclinic.interop.fhir.common import build, day, ref

ROLE_TEXT = {
    "practitioner": "Physiotherapist (IMS / dry needling)",
    "clinic_admin": "Clinic administrator",
    "front_desk": "Front desk",
}


def _qualification(number, text, issuer, start=None, end=None) -> dict:
    return {
        "identifier": [{"value": number, "assigner": {"display": issuer}}],
        "code": {"text": text},
        "period": {"start": day(start), "end": day(end)},
        "issuer": {"display": issuer},
    }


def practitioner(user):
    """A staff member with their professional registrations and needling authorisations
    (clinical.md §6.4: authorisations map to Practitioner.qualification)."""
    qualifications = [
        _qualification(r.number, f"{r.profession}, {r.jurisdiction}", r.regulator, end=r.expires_on)
        for r in user.registrations.all()
    ] + [
        _qualification(
            a.number,
            f"Needling authorisation ({a.get_modality_display()}), {a.jurisdiction}",
            a.authority,
            start=a.issued_on,
            end=a.expires_on,
        )
        for a in user.needling_authorisations.all()
    ]
    return build(
        "Practitioner",
        {
            "id": str(user.uuid),
            "active": user.is_active,
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{user.uuid}"}],
            "name": [
                {
                    "use": "official",
                    "text": user.display_name,
                    "family": user.last_name,
                    "given": [user.first_name],
                }
            ],
            "telecom": [{"system": "email", "value": user.email, "use": "work"}],
            "qualification": qualifications,
        },
    )


def role_id(user, clinic) -> str:
    """PractitionerRole id: the user's UUID and the first 8 hex digits of the clinic's UUID."""
    return f"{user.uuid}-{clinic.uuid.hex[:8]}"


def practitioner_role(user, clinic, roles):
    """The user's role(s) at one clinic."""
    return build(
        "PractitionerRole",
        {
            "id": role_id(user, clinic),
            "active": True,
            "practitioner": ref("Practitioner", user.uuid, user.display_name),
            "organization": ref("Organization", clinic.uuid, clinic.name),
            "code": [{"text": ROLE_TEXT.get(role, role)} for role in sorted(roles)],
        },
    )
