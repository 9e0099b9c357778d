"""Patient: export of the registry record, and import of a FHIR Patient for onboarding."""

from __future__ import annotations

from imsclinic.interop.fhir.common import (
    LANGUAGE,
    V2_0203,
    build,
    chart_number_system,
    coding,
    day,
    ref,
)

GENDERS = {"female", "male", "other", "unknown"}


def patient(record):
    """The FHIR Patient for a registry record (demographics, contacts, identifiers)."""
    names = [{"use": "official", "family": record.family_name, "given": [record.given_name]}]
    if record.preferred_name and record.preferred_name != record.given_name:
        names.append({"use": "usual", "given": [record.preferred_name]})
    identifiers = [
        {
            "use": "usual",
            "type": {"coding": [coding(V2_0203, "MR", "Medical record number")]},
            "system": chart_number_system(record.clinic),
            "value": record.chart_number,
        }
    ]
    if record.health_card_number:
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [coding(V2_0203, "JHN", "Jurisdictional health number")]},
                "value": record.health_card_number,
                "assigner": {"display": f"{record.health_card_region or 'Provincial'} health plan"},
            }
        )
    contact = []
    if record.emergency_contact_name:
        contact.append(
            {
                "relationship": [
                    {
                        "coding": [
                            coding(
                                "http://terminology.hl7.org/CodeSystem/v2-0131",
                                "C",
                                "Emergency Contact",
                            )
                        ],
                        "text": record.emergency_contact_relationship,
                    }
                ],
                "name": {"text": record.emergency_contact_name},
                "telecom": [{"system": "phone", "value": record.emergency_contact_phone}]
                if record.emergency_contact_phone
                else [],
            }
        )
    return build(
        "Patient",
        {
            "id": str(record.uuid),
            "active": record.is_active,
            "identifier": identifiers,
            "name": names,
            "telecom": [
                {"system": "phone", "value": record.phone, "use": "mobile"}
                if record.phone
                else None,
                {"system": "email", "value": record.email} if record.email else None,
            ],
            "gender": record.sex if record.sex in GENDERS else "unknown",
            "birthDate": day(record.date_of_birth),
            "address": [
                {
                    "use": "home",
                    "line": [record.address_line1, record.address_line2],
                    "city": record.city,
                    "state": record.region,
                    "postalCode": record.postal_code,
                }
            ]
            if record.address_line1 or record.city or record.postal_code
            else [],
            "contact": contact,
            "communication": [
                {
                    "language": {"coding": [coding(LANGUAGE, record.preferred_language)]},
                    "preferred": True,
                }
            ],
            "managingOrganization": ref("Organization", record.clinic.uuid, record.clinic.name),
        },
    )


class PatientImportError(ValueError):
    """A FHIR Patient that cannot be imported; `errors` lists (field, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


def fields_from_fhir(resource) -> tuple[dict, str | None]:
    """Registry fields (the PatientForm's names) and an optional chart number from an R4 Patient.

    Takes the validated R4B Patient model. Only what the registry holds is read; anything else in
    the resource is ignored. Form validation (dates, phones, lengths) happens afterwards, exactly
    as for a patient registered in the UI.
    """
    errors: list[tuple[str, str]] = []
    names = resource.name or []
    official = next((n for n in names if n.use in ("official", None)), names[0] if names else None)
    usual = next((n for n in names if n.use in ("usual", "nickname") and n is not official), None)
    given = (official.given or [""])[0] if official else ""
    family = (official.family or "") if official else ""
    if official and not (given and family) and official.text:
        parts = official.text.split()
        given, family = given or parts[0], family or " ".join(parts[1:])
    if not given:
        errors.append(("name", "A given name is required (Patient.name.given)."))
    if not family:
        errors.append(("name", "A family name is required (Patient.name.family)."))
    if resource.birthDate is None:
        errors.append(("birthDate", "A birth date is required (Patient.birthDate)."))
    gender = resource.gender or "unknown"
    if gender not in GENDERS:
        errors.append(("gender", f"Gender must be one of {sorted(GENDERS)}."))

    def telecom(system):
        for point in resource.telecom or []:
            if point.system == system and point.value:
                return point.value
        return ""

    address = (resource.address or [None])[0]
    lines = list(address.line or []) if address else []
    language = ""
    for communication in resource.communication or []:
        for code in communication.language.coding or []:
            language = (code.code or "").split("-")[0].lower()
            break
    chart_number = None
    health_card = ""
    for identifier in resource.identifier or []:
        codes = {c.code for c in (identifier.type.coding or [])} if identifier.type else set()
        if "MR" in codes and identifier.value:
            chart_number = identifier.value.strip()
        elif "JHN" in codes and identifier.value:
            health_card = identifier.value.strip()
    if chart_number is not None and not 1 <= len(chart_number) <= 20:
        errors.append(("identifier", "A chart number (MR identifier) is 1 to 20 characters."))
    if errors:
        raise PatientImportError(errors)
    fields = {
        "given_name": given,
        "family_name": family,
        "preferred_name": ((usual.given or [""])[0] if usual else "") or "",
        "date_of_birth": resource.birthDate.isoformat(),
        "sex": gender,
        "phone": telecom("phone"),
        "email": telecom("email"),
        "address_line1": lines[0] if lines else "",
        "address_line2": ", ".join(lines[1:]),
        "city": (address.city or "") if address else "",
        "region": (address.state or "") if address else "",
        "postal_code": (address.postalCode or "") if address else "",
        "health_card_number": health_card,
        "preferred_language": language or "en",
    }
    return fields, chart_number
