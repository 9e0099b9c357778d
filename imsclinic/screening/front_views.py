"""The public front door: the network's clinics at `/`, each clinic's public page, and the page's
edit form for the clinic's admin."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from imsclinic.accounts.models import Clinic, Role
from imsclinic.core.access import staff_required
from imsclinic.scheduling.instructions import instruction_lines
from imsclinic.screening import actions
from imsclinic.screening.front_door import lines, page_text


def front_door(request):
    """`/` for a visitor: the clinic itself when there is one, else the list of clinics."""
    clinics = list(Clinic.objects.order_by("name"))
    if len(clinics) == 1:
        return redirect("front:clinic", clinic_slug=clinics[0].slug)
    return render(request, "screening/front_door.html", {"clinics": clinics})


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
