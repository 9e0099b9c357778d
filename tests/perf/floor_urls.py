"""A bare signed-in view for the query budget of the signed-in floor (tests/perf/test_floor.py).

It does nothing a real page does not also need: the staff check (roles) and the active clinic.
Everything the test counts is the middleware stack's own cost.
"""

from django.http import HttpResponse
from django.urls import include, path

from imsclinic.core.access import staff_required


@staff_required
def bare(request):
    return HttpResponse(f"{request.clinic.pk}".encode(), content_type="text/plain")


urlpatterns = [
    path("floor/", bare, name="floor"),
    # The app's routes too: the middleware redirects to login and the 2FA pages by name.
    path("", include("imsclinic.urls")),
]
