"""Observation: pain NRS before/after needling (LOINC 72514-3) and questionnaire scores."""

import datetime

from imsclinic.interop.fhir.common import (
    CS_INSTRUMENT_SCORE,
    LOINC,
    LOINC_ODI_SCORE,
    LOINC_PAIN_NRS,
    OBSERVATION_CATEGORY,
    UCUM,
    build,
    coding,
    fhir_id,
    instant,
    ref,
)

PAIN_CODE = coding(
    LOINC, LOINC_PAIN_NRS, "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
)
SURVEY = {"coding": [coding(OBSERVATION_CATEGORY, "survey", "Survey")]}
# Instruments with a verified LOINC score code (clinical.md §6.2); the rest use the local system.
INSTRUMENT_LOINC = {"odi": (LOINC_ODI_SCORE, "Oswestry disability index score")}


def _score(value) -> dict:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}


def session_pain_observations(session) -> list:
    """Pain before and after needling, as reported by the patient at the session."""
    result = []
    after_time = session.started_at + datetime.timedelta(minutes=session.duration_minutes or 0)
    for when, value, at in (
        ("before", session.pain_before, session.started_at),
        ("after", session.pain_after, after_time),
    ):
        if value is None:
            continue
        result.append(
            build(
                "Observation",
                {
                    "id": f"{session.uuid}-pain-{when}",
                    "status": "final" if session.signed_at else "preliminary",
                    "category": [SURVEY],
                    "code": {"coding": [PAIN_CODE], "text": f"Pain (0-10 NRS) {when} needling"},
                    "subject": ref("Patient", session.patient.uuid),
                    "encounter": ref("Encounter", session.uuid),
                    "effectiveDateTime": instant(at),
                    "performer": [ref("Patient", session.patient.uuid)],
                    "valueQuantity": _score(value),
                    "interpretation": [],
                },
            )
        )
    return result


def score_code(instrument_id: str, name: str) -> dict:
    codings = [coding(CS_INSTRUMENT_SCORE, fhir_id(instrument_id), f"{name} score")]
    if instrument_id in INSTRUMENT_LOINC:
        code, display = INSTRUMENT_LOINC[instrument_id]
        codings.insert(0, coding(LOINC, code, display))
    return {"coding": codings, "text": f"{name} score"}


def response_score_observations(response, instrument=None) -> list:
    """The total (and subscales as components) of a scored questionnaire response."""
    if response.total is None:
        return []
    name = instrument.abbreviation if instrument else response.instrument_id
    components = [
        {"code": {"text": f"{name} {subscale}"}, "valueQuantity": _score(float(value))}
        for subscale, value in sorted((response.subscales or {}).items())
        if isinstance(value, int | float)
    ]
    return [
        build(
            "Observation",
            {
                "id": f"{response.uuid}-score",
                "status": "final",
                "category": [SURVEY],
                "code": score_code(response.instrument_id, name),
                "subject": ref("Patient", response.patient.uuid),
                "effectiveDateTime": instant(response.completed_at),
                "valueQuantity": _score(float(response.total)),
                "derivedFrom": [ref("QuestionnaireResponse", response.uuid)],
                "component": components,
            },
        )
    ]
