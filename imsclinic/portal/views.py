"""The patient's own pages: home (sections contributed by areas), sign-up by invitation,
booking, cancelling and the intake questionnaire."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from imsclinic.billing import portal as billing_portal
from imsclinic.clinical import bodychart
from imsclinic.clinical import portal as clinical_portal
from imsclinic.clinical.actions import ClinicalError, save_pain_drawing
from imsclinic.clinical.models import latest_pain_drawing
from imsclinic.core.ratelimits import rate_limited
from imsclinic.gateway.records import chart_view, portal_view, staff_see_only_whether_it_exists
from imsclinic.interop import portal as interop_portal
from imsclinic.outcomes import portal as outcomes_portal
from imsclinic.portal import actions
from imsclinic.portal.forms import PortalBookingForm, SignUpForm
from imsclinic.scheduling import actions as scheduling_actions
from imsclinic.scheduling import portal as scheduling_portal
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.models import Appointment, BookedVia, Kind
from imsclinic.scheduling.slots import online_slots
from imsclinic.screening import portal as screening_portal

# Sections contributed by other areas: upcoming appointments, questionnaires to complete,
# aftercare from sessions, the record download. Functions (request, patient) -> dict | None.
PORTAL_SECTIONS = [
    scheduling_portal.appointments_section,
    screening_portal.intake_section,
    clinical_portal.pain_drawing_section,
    outcomes_portal.questionnaires_section,
    clinical_portal.aftercare_section,
    interop_portal.record_export_section,
    billing_portal.invoices_section,
]


@portal_view("portal.home")
@require_GET
def home(request, patient):
    context = {
        "patient": patient,
        "clinic": patient.clinic,
        "sections": [s for section in PORTAL_SECTIONS if (s := section(request, patient))],
    }
    return render(request, "portal/home.html", context)


@chart_view("portal.invite", roles=actions.INVITING_ROLES)
@require_POST
def invite(request, patient):
    try:
        invitation = actions.invite_patient(
            patient=patient, by=request.user, base_url=settings.SITE_URL
        )
    except actions.PortalError as exc:
        messages.error(request, exc.message)
        return redirect("patients:chart", patient_uuid=patient.uuid)
    # The link itself is never shown: it goes only to the patient's inbox.
    messages.success(
        request,
        f"Invitation emailed to {invitation.email}, valid until {invitation.expires_at:%Y-%m-%d}.",
    )
    return redirect("patients:chart", patient_uuid=patient.uuid)


@require_http_methods(["GET", "POST"])
@rate_limited("portal-join")
def join(request, token):
    invitation = actions.invitation_for_token(token)
    if invitation is None:
        return render(request, "portal/join_invalid.html", status=404)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.accept_invitation(
                token=token,
                date_of_birth=form.cleaned_data["date_of_birth"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except actions.PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Your portal account is ready.")
            return redirect("portal:home")
    return render(request, "portal/join.html", {"form": form, "patient": invitation.patient})


def _portal_kind(patient) -> str | None:
    """What the patient may book themselves: an initial assessment while they have none (booked
    or done), IMS treatment after a completed assessment (the assessment-first rule)."""
    appointments = Appointment.objects.filter(patient=patient)
    if appointments.has_completed_assessment(patient):
        return Kind.IMS_TREATMENT
    if appointments.active().filter(kind=Kind.INITIAL_ASSESSMENT).exists():
        return None
    return Kind.INITIAL_ASSESSMENT


@portal_view("portal.book")
@require_http_methods(["GET", "POST"])
def book(request, patient):
    clinic = patient.clinic
    kind = _portal_kind(patient)
    slots = (
        # Every free time of each day, as on the public booking page.
        online_slots(clinic, now=timezone.now(), kind=kind, patient=patient, per_day=None)
        if kind
        else []
    )
    by_value = {f"{s.practitioner.uuid}|{s.starts_at.isoformat()}": s for s in slots}
    form = PortalBookingForm(
        request.POST or None, slot_choices=[(v, str(s)) for v, s in by_value.items()]
    )
    if request.method == "POST" and kind and form.is_valid():
        slot = by_value[form.cleaned_data["slot"]]
        try:
            scheduling_actions.book_appointment(
                clinic=clinic,
                patient=patient,
                practitioner=slot.practitioner,
                kind=kind,
                starts_at=slot.starts_at,
                by=request.user,
                via=BookedVia.PORTAL,
            )
        except BookingError as exc:
            form.add_error("slot" if exc.field == "starts_at" else None, exc.message)
        else:
            messages.success(request, "Booked. We have emailed you a confirmation.")
            return redirect("portal:home")
    days = {}
    for value, slot in by_value.items():
        days.setdefault(slot.starts_at.astimezone(clinic.tz).date(), []).append((value, slot))
    context = {
        "patient": patient,
        "clinic": clinic,
        "kind": kind,
        "kind_label": Kind(kind).label if kind else "",
        "form": form,
        "days": sorted(days.items()),
    }
    return render(request, "portal/book.html", context)


@login_required
def cancel(request, appointment_uuid):
    """The patient's own lookup comes before the method check (another's is a 404)."""
    staff_see_only_whether_it_exists(request, Appointment, appointment_uuid)
    return _cancel(request, appointment_uuid=appointment_uuid)


@portal_view("portal.cancel")
def _cancel(request, patient, appointment_uuid):
    appointment = Appointment.objects.filter(patient=patient, uuid=appointment_uuid).first()
    if appointment is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        scheduling_actions.cancel_appointment(
            appointment=appointment, by=request.user, via=BookedVia.PORTAL, reason="By patient"
        )
        messages.success(request, "Your appointment is cancelled.")
    except BookingError as exc:
        messages.error(request, exc.message)
    return redirect("portal:home")


@portal_view("portal.intake")
@require_http_methods(["GET", "POST"])
def intake(request, patient):
    from imsclinic.screening.actions import create_request
    from imsclinic.screening.forms import ScreeningForm
    from imsclinic.screening.models import Source

    form = ScreeningForm(request.POST or None, date_of_birth=patient.date_of_birth)
    if request.method == "POST" and form.is_valid():
        create_request(
            clinic=patient.clinic,
            contact={
                "given_name": patient.given_name,
                "family_name": patient.family_name,
                "email": patient.email,
                "phone": patient.phone or "-",
                "date_of_birth": patient.date_of_birth,
            },
            screening=form.screening(),
            by=request.user,
            source=Source.PORTAL,
            patient=patient,
        )
        messages.success(request, "Thank you. Your answers are with the clinic.")
        return redirect("portal:home")
    if request.method == "POST":
        messages.error(request, "Some questions still need an answer; they are marked below.")
    return render(request, "portal/intake.html", {"form": form, "patient": patient})


@portal_view("portal.pain_drawing")
@require_http_methods(["GET", "POST"])
def pain_drawing(request, patient):
    """The patient's own pain drawing on the body chart (the region table without JavaScript)."""
    latest = latest_pain_drawing(patient)
    marks = latest.marks if latest else []
    note = latest.note if latest else ""
    errors = []
    if request.method == "POST":
        marks, errors = bodychart.clean_marks(request.POST)
        note = (request.POST.get("note") or "").strip()
        if not errors:
            try:
                save_pain_drawing(patient=patient, by=request.user, marks=marks, note=note)
            except ClinicalError as exc:
                errors = [str(exc)]
            else:
                messages.success(request, "Thank you. Your practitioner will see your drawing.")
                return redirect("portal:home")
    context = {
        "patient": patient,
        "latest": latest,
        "views": bodychart.chart_views(marks),
        "marked_count": len(marks),
        "pain_types": bodychart.PAIN_TYPES,
        "intensities": range(11),
        "note": note,
        "errors": errors,
    }
    return render(request, "portal/pain_drawing.html", context, status=400 if errors else 200)
