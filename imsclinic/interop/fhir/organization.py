"""Organization: the clinic (the tenant), and the insurers and boards that pay part of a bill."""

import uuid

from imsclinic.interop.fhir.common import ORGANIZATION_TYPE, build, coding, ref


def organization(clinic):
    telecom = [
        {"system": "phone", "value": clinic.phone, "use": "work"} if clinic.phone else None,
        {"system": "email", "value": clinic.email, "use": "work"} if clinic.email else None,
        {"system": "url", "value": clinic.website} if clinic.website else None,
    ]
    return build(
        "Organization",
        {
            "id": str(clinic.uuid),
            "active": True,
            "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{clinic.uuid}"}],
            "type": [
                {
                    "coding": [
                        {
                            "system": ORGANIZATION_TYPE,
                            "code": "prov",
                            "display": "Healthcare Provider",
                        }
                    ]
                }
            ],
            "name": clinic.name,
            "telecom": telecom,
            "address": [
                {
                    "use": "work",
                    "line": [clinic.address_line1, clinic.address_line2],
                    "city": clinic.city,
                    "state": clinic.region,
                    "postalCode": clinic.postal_code,
                    "country": clinic.country,
                }
            ],
        },
    )


# ---- insurers and boards that pay part of a bill (billing, issue 16) -----------------------
def payer_name(coverage) -> str:
    """The insurer's name as written on the coverage, spaces collapsed."""
    return " ".join(coverage.insurer_name.split())


def payer_id(clinic, name: str) -> str:
    """A stable id for a payer named `name` at `clinic`: billing records an insurer by name on
    each coverage, so the Organization is one per distinct name per clinic (a name-based UUID,
    version 5, in the clinic's namespace)."""
    return str(uuid.uuid5(clinic.uuid, f"payer:{name}"))


def payer_reference(coverage) -> dict:
    name = payer_name(coverage)
    return ref("Organization", payer_id(coverage.clinic, name), name)


def payer_organization(clinic, name: str):
    """An insurer, workers' compensation board or auto insurer (organization type `pay`)."""
    return build(
        "Organization",
        {
            "id": payer_id(clinic, name),
            "active": True,
            "type": [{"coding": [coding(ORGANIZATION_TYPE, "pay", "Payer")]}],
            "name": name,
        },
    )


def find_payer(clinic_ids, organization_id: str):
    """The payer Organization with this id among the coverages of `clinic_ids`, or None."""
    from imsclinic.accounts.models import Clinic
    from imsclinic.billing.models import Coverage

    clinics = {c.pk: c for c in Clinic.objects.filter(pk__in=clinic_ids)}
    names = Coverage.objects.filter(clinic_id__in=clinics).values_list("clinic_id", "insurer_name")
    for clinic_id, insurer in names.order_by().distinct():
        name = " ".join(insurer.split())
        if payer_id(clinics[clinic_id], name) == organization_id:
            return payer_organization(clinics[clinic_id], name)
    return None
