"""Error pages that keep the layout and never leak details; JSON under /api/."""

from django.http import JsonResponse
from django.shortcuts import render

API_MESSAGES = {
    400: "The request could not be understood.",
    403: "Your role does not allow this.",
    404: "Not Found",
    500: "Something went wrong on our side; nothing was saved.",
}


def _answer(request, status: int):
    # An API client gets JSON, whatever raised the error (an unknown URL included).
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": API_MESSAGES[status]}, status=status)
    return render(request, f"errors/{status}.html", status=status)


def bad_request(request, exception=None):
    return _answer(request, 400)


def permission_denied(request, exception=None):
    return _answer(request, 403)


def page_not_found(request, exception=None):
    return _answer(request, 404)


def server_error(request):
    return _answer(request, 500)
