"""The bench's ceiling: the cheapest response this Django stack can give.

`hello` touches no database, no session and no template. The benchmark measures it on the same
server as the real pages and reports every page also as a ratio to it, so a figure says how much
of the stack's own ceiling a page uses, independent of the machine it ran on.
"""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from imsclinic.core.access import staff_required


@require_GET
def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


@staff_required
@require_GET
def signed_in(request):
    """The signed-in floor: the full middleware stack (session, user, roles, active clinic, 2FA)
    and the staff check, then nothing. Compared with `hello` it is what signing in costs."""
    return HttpResponse(b"signed in", content_type="text/plain")
