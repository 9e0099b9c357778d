"""Portal contribution: the intake questionnaire (the same screening questions), once."""

from imsclinic.screening.models import EvaluationRequest


def intake_section(request, patient):
    latest = EvaluationRequest.objects.filter(patient=patient).order_by("-created_at").first()
    return {
        "template": "screening/portal_intake.html",
        "context": {"latest": latest},
    }
