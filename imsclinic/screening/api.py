"""JSON API routes for the screening area, mounted under /api/v1/ by imsclinic.api.

POST /api/v1/screening: the same decision as the public form and `imsclinic screen`, without
login. Body: the answers object (see the schema); optional `?clinic=<slug>` applies that clinic's
screening policy. Malformed answers get a 422 listing each field's problem.
"""

import json

from django.http import JsonResponse
from ninja import Router

from imsclinic.accounts.models import Clinic
from imsclinic.knowledge import answers_json_schema, validate_answers
from imsclinic.screening.services import screen_for_clinic

router = Router(tags=["screening"])

_RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "outcome": {"enum": ["likely_candidate", "needs_clearance", "not_suitable"]},
        "reasons": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["outcome", "reasons"],
}


def _unprocessable(errors: dict[str, str]) -> JsonResponse:
    detail = [
        {
            "loc": ["body"] if field == "__all__" else ["body", field],
            "msg": message,
            "type": "value_error",
        }
        for field, message in errors.items()
    ]
    return JsonResponse({"detail": detail, "errors": errors}, status=422)


@router.post(
    "",
    auth=None,
    summary="Am I a candidate? Screen answers",
    response={200: dict, 404: dict, 422: dict},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": answers_json_schema()}},
        },
        "parameters": [
            {
                "in": "query",
                "name": "clinic",
                "required": False,
                "schema": {"type": "string"},
                "description": "Clinic slug whose screening policy applies.",
            }
        ],
        "responses": {
            "200": {
                "description": "The outcome",
                "content": {"application/json": {"schema": _RESULT_SCHEMA}},
            }
        },
    },
)
def screen_answers(request):
    """Answers in, {"outcome": ..., "reasons": [...]} out. No login."""
    try:
        answers = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _unprocessable({"__all__": "the body must be a JSON object of answers"})
    _clean, errors = validate_answers(answers)
    if errors:
        return _unprocessable(errors)
    clinic = None
    slug = request.GET.get("clinic")
    if slug:
        clinic = Clinic.objects.filter(slug=slug).first()
        if clinic is None:
            return JsonResponse({"detail": "No clinic with that slug."}, status=404)
    result = screen_for_clinic(answers, clinic)
    return JsonResponse(result.to_dict())
