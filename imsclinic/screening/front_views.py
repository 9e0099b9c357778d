"""The public front door: the network's clinics at `/`, each clinic's public page, the page's
edit form for the clinic's admin, and the booker's own visit behind the signed email link."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from imsclinic.accounts.models import Clinic, Role
from imsclinic.core.access import staff_required
from imsclinic.core.ratelimits import rate_limited
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.instructions import instruction_lines
from imsclinic.scheduling.models import Appointment, cancellation_hours
from imsclinic.scheduling.slots import online_slots
from imsclinic.screening import actions
from imsclinic.screening.front_door import lines, page_text
from imsclinic.screening.manage import appointment_uuid, manage_token


def front_door(request):
    """`/` for a visitor: the clinic itself when there is one, else the list of clinics."""
    clinics = list(Clinic.objects.order_by("name"))
    if len(clinics) == 1:
        return redirect("front:clinic", clinic_slug=clinics[0].slug)
    return render(request, "screening/front_door.html", {"clinics": clinics})


@require_GET
def clinic_logo(request, clinic_slug):
    """The clinic's logo (public, like the page it sits on): the PNG re-encoded on upload."""
    from django.http import Http404, HttpResponse

    from imsclinic.clinics.logo import read

    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    if not clinic.logo:
        raise Http404("This clinic has no logo.")
    response = HttpResponse(read(clinic), content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400" if request.GET.get("v") else "no-cache"
    response["Content-Disposition"] = 'inline; filename="logo.png"'
    return response


@require_GET
def clinic_page(request, clinic_slug):
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    text = page_text(clinic)
    context = {
        "clinic": clinic,
        "about_ims": lines(text["about_ims"]),
        "what_to_expect": lines(text["what_to_expect"]),
        "aftercare": instruction_lines(clinic, "aftercare"),
        "can_edit": request.user.is_authenticated
        and request.user.has_role(clinic, Role.CLINIC_ADMIN),
    }
    return render(request, "screening/clinic_page.html", context)


class ClinicPageForm(forms.Form):
    about_ims = forms.CharField(
        label="What IMS is", widget=forms.Textarea(attrs={"rows": 8}), max_length=5000
    )
    what_to_expect = forms.CharField(
        label="What to expect", widget=forms.Textarea(attrs={"rows": 8}), max_length=5000
    )


@staff_required
@require_http_methods(["GET", "POST"])
def edit_clinic_page(request, clinic_slug):
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    if not request.user.has_role(clinic, Role.CLINIC_ADMIN):
        raise PermissionDenied("Only the clinic's admin edits its public page.")
    form = ClinicPageForm(request.POST or None, initial=page_text(clinic))
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_clinic_page(clinic=clinic, by=request.user, **form.cleaned_data)
        except actions.ScreeningError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The public page is saved.")
            return redirect("front:clinic", clinic_slug=clinic.slug)
    if request.method == "POST":
        messages.error(request, "Please correct the highlighted fields. Nothing was saved.")
    return render(request, "screening/clinic_page_edit.html", {"clinic": clinic, "form": form})


@require_http_methods(["GET", "POST"])
@rate_limited("public-booking")
def manage_booking(request, clinic_slug, token):
    """The booker's own visit, reached from the signed link in the confirmation email: cancel it,
    or move it to another free time, inside the clinic's cancellation window."""
    clinic = get_object_or_404(Clinic, slug=clinic_slug)
    timezone.activate(clinic.tz)
    uuid = appointment_uuid(token)
    appointment = (
        Appointment.objects.filter(uuid=uuid, clinic=clinic)
        .select_related("practitioner", "patient", "clinic")
        .first()
        if uuid
        else None
    )
    if appointment is None:
        return render(request, "screening/manage_invalid.html", {"clinic": clinic}, status=404)
    now = timezone.now()
    slots = []
    if appointment.can_be_cancelled_by_patient(now):
        slots = online_slots(clinic, now=now, kind=appointment.kind, per_day=None)
    by_value = {f"{s.practitioner.uuid}|{s.starts_at.isoformat()}": s for s in slots}
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("do") == "cancel":
                actions.cancel_online(appointment=appointment)
                messages.success(request, "Your visit is cancelled.")
                return redirect(request.path)
            slot = by_value.get(request.POST.get("slot", ""))
            if slot is None:
                raise actions.ScreeningError("Choose one of the times shown. Nothing was changed.")
            new = actions.reschedule_online(
                appointment=appointment, practitioner=slot.practitioner, starts_at=slot.starts_at
            )
        except (actions.ScreeningError, BookingError) as exc:
            error = exc.message
        else:
            messages.success(
                request, "Your visit is moved. We have emailed you the new time and a new link."
            )
            return redirect("screening:manage", clinic_slug=clinic.slug, token=manage_token(new))
    days = {}
    for value, slot in by_value.items():
        days.setdefault(slot.starts_at.astimezone(clinic.tz).date(), []).append((value, slot))
    context = {
        "clinic": clinic,
        "appointment": appointment,
        "local_start": appointment.starts_at.astimezone(clinic.tz),
        "can_change": appointment.can_be_cancelled_by_patient(now),
        "hours": cancellation_hours(clinic),
        "days": sorted(days.items()),
        "error": error,
    }
    return render(request, "screening/manage.html", context, status=400 if error else 200)
