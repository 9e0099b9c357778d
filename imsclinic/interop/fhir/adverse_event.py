"""AdverseEvent: a reaction during or after a needling session (clinical.md §6.4)."""

from imsclinic.interop.fhir.common import (
    ADVERSE_EVENT_SERIOUSNESS,
    ADVERSE_EVENT_SEVERITY,
    CS_ADVERSE_EVENT,
    build,
    coding,
    instant,
    ref,
)

SEVERITY = {"mild": "mild", "significant": "moderate", "serious": "severe"}


def adverse_event(event, procedure_ids=()):
    serious = event.severity == "serious"
    recorder = getattr(event, "recorded_by", None)
    return build(
        "AdverseEvent",
        {
            "id": str(event.uuid),
            "actuality": "actual",
            "category": [
                {
                    "coding": [
                        coding(
                            "http://terminology.hl7.org/CodeSystem/adverse-event-category",
                            "procedure-mishap",
                            "Procedure Mishap",
                        )
                    ]
                }
            ],
            "event": {
                "coding": [coding(CS_ADVERSE_EVENT, event.kind, event.get_kind_display())],
                "text": event.get_kind_display(),
            },
            "subject": ref("Patient", event.patient.uuid),
            "encounter": ref("Encounter", event.session.uuid),
            "date": instant(event.occurred_at),
            "recordedDate": instant(event.created_at),
            "recorder": ref("Practitioner", recorder.uuid, recorder.display_name)
            if recorder
            else None,
            "seriousness": {
                "coding": [
                    coding(
                        ADVERSE_EVENT_SERIOUSNESS,
                        "serious" if serious else "non-serious",
                        "Serious" if serious else "Non-serious",
                    )
                ]
            },
            "severity": {"coding": [coding(ADVERSE_EVENT_SEVERITY, SEVERITY[event.severity])]},
            "suspectEntity": [{"instance": ref("Procedure", pid)} for pid in procedure_ids],
            "extension": [],
            "referenceDocument": [],
        },
    )
