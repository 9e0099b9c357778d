"""Chart summary contribution: the self-screening that became this patient's intake."""

from imsclinic.screening.models import EvaluationRequest
from imsclinic.screening.services import area_labels


def intake_section(request, patient):
    evaluation = EvaluationRequest.objects.filter(patient=patient).order_by("-created_at").first()
    if evaluation is None:
        return None
    from imsclinic.screening.views import _answered_yes

    return {
        "template": "screening/summary_intake.html",
        "context": {
            "evaluation": evaluation,
            "areas": area_labels(evaluation.pain_regions),
            "answered_yes": _answered_yes(evaluation),
        },
    }
