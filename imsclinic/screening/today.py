"""Today panel: new evaluation requests waiting for the clinic."""

from imsclinic.screening.models import EvaluationRequest, RequestStatus


def requests_panel(request):
    clinic = request.clinic
    if clinic is None:
        return None
    new = EvaluationRequest.objects.filter(clinic=clinic, status=RequestStatus.NEW)
    count = new.count()
    latest = list(new.order_by("-created_at")[:5])
    return {
        "template": "screening/today_requests.html",
        "context": {"count": count, "latest": latest},
    }
