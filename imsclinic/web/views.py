"""Landing, Today and clinic switching."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from imsclinic.audit.models import ChartAccess
from imsclinic.core.access import staff_required
from imsclinic.core.middleware import ACTIVE_CLINIC_KEY
from imsclinic.patients.models import Patient
from imsclinic.screening.front_views import front_door
from imsclinic.web.today import today_panels


@require_GET
def home(request):
    # Visitors see the public front door; signed-in people go to their own start page (staff to
    # Today), so the sign-in link and `/` both bring staff to work.
    if not request.user.is_authenticated:
        return front_door(request)
    if request.user.is_clinic_staff:
        return redirect("today")
    if hasattr(request.user, "patient_record"):
        return redirect("portal:home")
    return render(request, "core/no_access.html", status=403)


@require_GET
def healthz(request):
    """Liveness for load balancers and the benchmark: no database, no session."""
    return JsonResponse({"status": "ok"})


@staff_required
@require_GET
def today(request):
    clinic = request.clinic
    recent_uuids = list(
        ChartAccess.objects.filter(user_id=request.user.pk, clinic_id=clinic.pk)
        .order_by("-id")
        .values_list("patient_uuid", flat=True)[:40]
    )
    seen = list(dict.fromkeys(recent_uuids))[:8]
    by_uuid = {p.uuid: p for p in Patient.objects.filter(uuid__in=seen, clinic=clinic)}
    recent = [by_uuid[u] for u in seen if u in by_uuid]
    context = {
        "clinic": clinic,
        "local_now": clinic.local_now(),
        "recent_patients": recent,
        "panels": today_panels(request),
    }
    return render(request, "web/today.html", context)


@login_required
@require_POST
def switch_clinic(request):
    try:
        clinic_id = int(request.POST.get("clinic", ""))
    except ValueError as exc:
        raise Http404 from exc
    if clinic_id not in request.user.staff_clinic_ids():
        raise Http404
    request.session[ACTIVE_CLINIC_KEY] = clinic_id
    return redirect("today")
