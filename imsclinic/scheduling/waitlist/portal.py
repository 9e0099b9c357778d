"""The patient's own waitlist in the portal: ask to be offered an earlier visit, see what she is
waiting for, and take herself off. The entries are the ones the front desk works from
(`scheduling/waitlist/`); an offer reaches her by email or text as for any entry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from imsclinic.gateway.records import portal_view, staff_see_only_whether_it_exists
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.views import clinic_practitioners
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.forms import PortalEntryForm
from imsclinic.scheduling.waitlist.models import WaitlistEntry


@portal_view("portal.waitlist")
@require_http_methods(["GET", "POST"])
def waitlist(request, patient):
    clinic = patient.clinic
    form = PortalEntryForm(
        request.POST or None,
        initial=PortalEntryForm.initial_for_new(clinic),
        clinic=clinic,
        practitioners=clinic_practitioners(clinic),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_entry(
                clinic=clinic, patient=patient, by=request.user, **form.fields_for_action()
            )
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, "You are on the waitlist. We will contact you if an earlier time opens."
            )
            return redirect("portal:waitlist")
    entries = (
        WaitlistEntry.objects.open()
        .filter(patient=patient)
        .select_related("service", "practitioner")
        .order_by("created_at")
    )
    context = {"clinic": clinic, "form": form, "entries": entries}
    return render(request, "scheduling/waitlist/portal.html", context)


@login_required
def leave(request, entry_uuid):
    """The patient's own lookup comes before the method check (another's is a 404)."""
    staff_see_only_whether_it_exists(request, WaitlistEntry, entry_uuid)
    return _leave(request, entry_uuid=entry_uuid)


@portal_view("portal.waitlist.leave")
def _leave(request, patient, entry_uuid):
    entry = WaitlistEntry.objects.filter(patient=patient, uuid=entry_uuid).first()
    if entry is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        actions.withdraw_entry(entry=entry, by=request.user, reason="Taken off in the portal")
    except BookingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You are off the waitlist for that visit.")
    return redirect("portal:waitlist")
