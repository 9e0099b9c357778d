"""Consent: the patient's informed consent to needling, on the exact text version signed."""

import base64

from imsclinic.interop.fhir.common import (
    CONSENT_SCOPE,
    LOINC,
    V3_ACT_CODE,
    build,
    coding,
    instant,
    ref,
)


def consent(record):
    text = record.text_version
    return build(
        "Consent",
        {
            "id": str(record.uuid),
            "status": "inactive" if record.withdrawn_at else "active",
            "scope": {"coding": [coding(CONSENT_SCOPE, "treatment", "Treatment")]},
            "category": [{"coding": [coding(LOINC, "59284-0", "Patient Consent")]}],
            "patient": ref("Patient", record.patient.uuid),
            "dateTime": instant(record.signed_at),
            "performer": [ref("Patient", record.patient.uuid, record.signature_name)],
            "organization": [ref("Organization", record.clinic.uuid, record.clinic.name)],
            "sourceAttachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": "en",
                "title": f"{text.title} (version {text.version})",
                "data": base64.b64encode(text.body.encode()).decode(),
                "creation": instant(text.created_at),
            },
            "policyRule": {"coding": [coding(V3_ACT_CODE, "OPTIN", "opt-in")]},
            "verification": [
                {
                    "verified": True,
                    "verifiedWith": ref(
                        "Practitioner", record.explained_by.uuid, record.explained_by.display_name
                    ),
                    "verificationDate": instant(record.signed_at),
                }
            ],
            "provision": {
                "type": "permit",
                "period": {
                    "start": instant(record.signed_at),
                    "end": instant(record.withdrawn_at),
                },
                "code": [{"text": "IMS / dry needling"}],
                "provision": [
                    {
                        "type": "permit" if record.covers_thorax else "deny",
                        "code": [
                            {"text": "Needling over the thorax (pneumothorax risk explained)"}
                        ],
                    }
                ],
            },
        },
    )
