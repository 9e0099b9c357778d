"""Organization: the clinic (the tenant)."""

from imsclinic.interop.fhir.common import build


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
                            "system": "http://terminology.hl7.org/CodeSystem/organization-type",
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
