"""Questionnaire (an outcome instrument from the knowledge base) and QuestionnaireResponse."""

from imsclinic.interop.fhir.common import LOCAL, build, fhir_id, instant, ref


def questionnaire_url(instrument_id: str) -> str:
    return f"{LOCAL}/Questionnaire/{fhir_id(instrument_id)}"


def questionnaire(instrument):
    """The instrument as a FHIR Questionnaire. Item wording ships only for freely usable
    instruments; a licensed instrument's items carry their ids and ranges but no text (§6.4)."""
    free = instrument.licence == "free"
    return build(
        "Questionnaire",
        {
            "id": fhir_id(instrument.id),
            "url": questionnaire_url(instrument.id),
            "name": fhir_id(instrument.abbreviation).replace("-", "").replace(".", "") or None,
            "title": instrument.name,
            "status": "active",
            "subjectType": ["Patient"],
            "copyright": instrument.licence_note,
            "item": [
                {
                    "linkId": item.id,
                    "text": item.text if free else None,
                    "type": "decimal",
                    "required": not item.optional,
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/minValue",
                            "valueDecimal": item.min,
                        },
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/maxValue",
                            "valueDecimal": item.max,
                        },
                    ],
                }
                for item in instrument.items
            ],
        },
    )


def _answer(value) -> dict | None:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    if isinstance(value, str) and value.strip():
        return {"valueString": value}
    if isinstance(value, dict):  # e.g. PSFS {"activity": ..., "score": 4}
        score = value.get("score", value.get("value"))
        return _answer(score) if score is not None else None
    return None


def _items(answers) -> list[dict]:
    if isinstance(answers, dict):
        pairs = answers.items()
    elif isinstance(answers, list):
        pairs = [
            (a.get("id") or a.get("item") or str(i), a.get("value", a))
            if isinstance(a, dict)
            else (str(i), a)
            for i, a in enumerate(answers)
        ]
    else:
        pairs = []
    items = []
    for link_id, value in pairs:
        answer = _answer(value)
        if answer is not None:
            items.append({"linkId": str(link_id), "answer": [answer]})
    return items


def questionnaire_response(response):
    author = getattr(response, "entered_by", None)
    return build(
        "QuestionnaireResponse",
        {
            "id": str(response.uuid),
            "questionnaire": questionnaire_url(response.instrument_id),
            "status": "completed",
            "subject": ref("Patient", response.patient.uuid),
            "authored": instant(response.completed_at),
            "author": ref("Practitioner", author.uuid, author.display_name)
            if author
            else ref("Patient", response.patient.uuid),
            "source": ref("Patient", response.patient.uuid),
            "basedOn": [ref("CarePlan", response.course.uuid)] if response.course_id else [],
            "item": _items(response.answers),
        },
    )
