"""Staff schedule: day view, booking (single or a course), status changes, hours, feeds and
instructions; plus the public secret-URL iCalendar feed."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from imsclinic.accounts.models import Role, User
from imsclinic.core.access import role_required, staff_required
from imsclinic.core.validation import parse_query_date, refuse
from imsclinic.gateway.records import load, log_reads
from imsclinic.patients.models import Patient
from imsclinic.scheduling import actions
from imsclinic.scheduling.availability import free_slots, windows_on
from imsclinic.scheduling.errors import BookingError, SeriesConflict
from imsclinic.scheduling.forms import (
    AvailabilityForm,
    BookingForm,
    CancelForm,
    ClosureForm,
    ExceptionForm,
    HolidaysForm,
    InstructionForm,
    RescheduleForm,
    StatusForm,
    VideoLinkForm,
    replacements_from,
)
from imsclinic.scheduling.instructions import instruction_text
from imsclinic.scheduling.models import (
    DURATIONS,
    Appointment,
    Availability,
    AvailabilityException,
    CalendarFeed,
    Closure,
    InstructionTemplate,
    Kind,
    hash_feed_token,
)
from imsclinic.scheduling.notifications import outbox, practitioner_feed


def clinic_practitioners(clinic):
    return User.objects.filter(
        memberships__clinic=clinic, memberships__role=Role.PRACTITIONER, memberships__is_active=True
    ).order_by("last_name", "first_name")


def _day(request, clinic) -> datetime.date:
    """The day asked for (YYYY-MM-DD, within the calendar's range) or today; ValueError with a
    message for anything else."""
    return parse_query_date(request.GET.get("date")) or clinic.today()


def _back(request, fallback):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@staff_required
@require_GET
def day_view(request):
    clinic = request.clinic
    try:
        day = _day(request, clinic)
    except ValueError as exc:
        return refuse(request, str(exc))
    practitioners = list(clinic_practitioners(clinic))
    wanted = request.GET.get("practitioner")
    if wanted:
        practitioners = [p for p in practitioners if str(p.uuid) == wanted] or practitioners
    appointments = (
        Appointment.objects.for_clinic_day(clinic, day)
        .active()
        .select_related("patient", "practitioner")
        .order_by("starts_at")
    )
    columns = []
    for person in practitioners:
        mine = [a for a in appointments if a.practitioner_id == person.pk]
        columns.append(
            {
                "practitioner": person,
                "appointments": mine,
                "windows": windows_on(person, clinic, day),
                "free": free_slots(person, clinic, day, DURATIONS[Kind.IMS_TREATMENT]),
            }
        )
    context = {
        "day": day,
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1),
        "columns": columns,
        "all_practitioners": clinic_practitioners(clinic),
        "selected": wanted or "",
        "status_form": StatusForm(),
    }
    return render(request, "scheduling/day.html", context)


@staff_required
@require_GET
def calendar_view(request):
    """The time grid: `view=day` or `week`, one practitioner or all side by side."""
    from imsclinic.scheduling.calendar import build, week_of

    clinic = request.clinic
    try:
        day = _day(request, clinic)
    except ValueError as exc:
        return refuse(request, str(exc))
    mode = "day" if request.GET.get("view") == "day" else "week"
    everyone = list(clinic_practitioners(clinic))
    wanted = request.GET.get("practitioner") or ""
    practitioners = [p for p in everyone if str(p.uuid) == wanted] or everyone
    if not any(str(p.uuid) == wanted for p in everyone):
        wanted = ""
    days = [day] if mode == "day" else week_of(day)
    step = datetime.timedelta(days=1 if mode == "day" else 7)
    columns, rows = build(clinic, practitioners, days, now=timezone.now())
    context = {
        "day": day,
        "days": days,
        "mode": mode,
        "previous": day - step,
        "next": day + step,
        "columns": columns,
        "rows": rows,
        "practitioners_per_day": len(practitioners),
        "all_practitioners": everyone,
        "selected": wanted,
        "book_url": reverse("scheduling:book"),
    }
    return render(request, "scheduling/calendar.html", context)


def _booking_patient(request):
    uuid = request.GET.get("patient") or request.POST.get("patient")
    if not uuid:
        return None
    return load(request, Patient, uuid, what="schedule.book", select=("clinic",))


@staff_required
@require_http_methods(["GET", "POST"])
def book(request):
    clinic = request.clinic
    patient = _booking_patient(request)
    if patient is None:
        query = request.GET.get("q", "").strip()
        found = Patient.objects.filter(clinic=clinic).search(query)[:20] if query else []
        return render(
            request,
            "scheduling/choose_patient.html",
            {"query": query, "found": found, "carry": request.GET.urlencode()},
        )
    if patient.clinic_id != clinic.pk:
        raise Http404
    initial = {
        "date": request.GET.get("date") or clinic.today().isoformat(),
        "time": request.GET.get("time") or "09:00",
        "practitioner": request.GET.get("practitioner"),
        "service": request.GET.get("service"),
        "kind": request.GET.get("kind")
        or (
            Kind.IMS_TREATMENT
            if Appointment.objects.has_completed_assessment(patient)
            else Kind.INITIAL_ASSESSMENT
        ),
    }
    form = BookingForm(
        request.POST or None,
        initial=initial,
        practitioners=clinic_practitioners(clinic),
        clinic=clinic,
    )
    conflicts = None
    replacements = replacements_from(request.POST, clinic) if request.method == "POST" else {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["repeat"] > 1:
                series = actions.book_series(
                    clinic=clinic,
                    patient=patient,
                    practitioner=data["practitioner"],
                    kind=data["kind"],
                    mode=data["mode"],
                    service=data["service"],
                    first_starts_at=form.starts_at(),
                    count=data["repeat"],
                    interval_days=data["interval_days"],
                    notes=data["notes"],
                    replacements=replacements,
                    by=request.user,
                )
                messages.success(request, f"Booked {series} for {patient.full_name}.")
            else:
                appointment = actions.book_appointment(
                    clinic=clinic,
                    patient=patient,
                    practitioner=data["practitioner"],
                    kind=data["kind"],
                    mode=data["mode"],
                    service=data["service"],
                    starts_at=form.starts_at(),
                    notes=data["notes"],
                    same_day_override_reason=data["same_day_override_reason"],
                    by=request.user,
                )
                messages.success(
                    request,
                    f"Booked {appointment.get_kind_display()} for {patient.full_name}.",
                )
            return redirect("patients:chart", patient_uuid=patient.uuid)
        except SeriesConflict as exc:
            conflicts = exc.items
            form.add_error(None, exc.message)
        except BookingError as exc:
            field = {"starts_at": "time", "count": "repeat"}.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
    if request.method == "POST":
        messages.error(request, "Nothing was booked. Please see the message below.")
    context = {
        "form": form,
        "patient": patient,
        "conflicts": conflicts,
        "picked": {f"replace_{i}": v.astimezone(clinic.tz) for i, v in replacements.items()},
        "has_assessment": Appointment.objects.has_completed_assessment(patient),
        "clinic": clinic,
    }
    return render(request, "scheduling/book.html", context)


def _appointment(request, appointment_uuid, *, what="schedule.appointment"):
    return load(
        request,
        Appointment,
        appointment_uuid,
        what=what,
        select=("patient", "practitioner", "clinic", "series"),
    )


@staff_required
@require_GET
def appointment_detail(request, appointment_uuid):
    appointment = _appointment(request, appointment_uuid)
    return _appointment_page(request, appointment)


def _appointment_page(request, appointment, *, video_form=None, status=200):
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": appointment,
            "cancel_form": CancelForm(),
            "video_form": video_form or VideoLinkForm(initial={"video_url": appointment.video_url}),
            "moved_to": Appointment.objects.filter(rescheduled_from=appointment).first(),
            "outbox": outbox(appointment),
        },
        status=status,
    )


@staff_required
def appointment_video_link(request, appointment_uuid):
    """POST: give a video visit its link (or replace it); the patient is emailed it."""
    appointment = _appointment(request, appointment_uuid, what="schedule.appointment.video_link")
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    form = VideoLinkForm(request.POST)
    if form.is_valid():
        try:
            actions.set_video_link(
                appointment=appointment, video_url=form.cleaned_data["video_url"], by=request.user
            )
        except BookingError as exc:
            form.add_error("video_url", exc.message)
        else:
            messages.success(request, "Video link saved and emailed to the patient.")
            return redirect("scheduling:appointment", appointment_uuid=appointment.uuid)
    return _appointment_page(request, appointment, video_form=form, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def appointment_reschedule(request, appointment_uuid):
    """Move a visit, or the rest of its course, to a new time in one step."""
    appointment = _appointment(request, appointment_uuid, what="schedule.appointment.reschedule")
    clinic = request.clinic
    local = appointment.local_start()
    form = RescheduleForm(
        request.POST or None,
        initial={
            "practitioner": appointment.practitioner.uuid,
            "date": request.GET.get("date") or local.date().isoformat(),
            "time": request.GET.get("time") or local.strftime("%H:%M"),
            "whole_course": bool(appointment.series_id),
        },
        practitioners=clinic_practitioners(clinic),
        clinic=clinic,
    )
    conflicts = None
    replacements = replacements_from(request.POST, clinic) if request.method == "POST" else {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = actions.reschedule(
                appointment=appointment,
                starts_at=form.starts_at(),
                practitioner=data["practitioner"],
                whole_course=data["whole_course"],
                replacements=replacements,
                reason=data["reason"],
                by=request.user,
            )
            messages.success(
                request,
                f"Moved {len(moved)} visit{'s' if len(moved) != 1 else ''} of "
                f"{appointment.patient.full_name}. The patient is sent the new time.",
            )
            return redirect("scheduling:appointment", appointment_uuid=moved[0].uuid)
        except SeriesConflict as exc:
            conflicts = exc.items
            form.add_error(None, exc.message.replace("in this series", "to move"))
        except BookingError as exc:
            field = {"starts_at": "time"}.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
    if request.method == "POST":
        messages.error(request, "Nothing was moved. Please see the message below.")
    return render(
        request,
        "scheduling/reschedule.html",
        {
            "appointment": appointment,
            "form": form,
            "conflicts": conflicts,
            "picked": {f"replace_{i}": v.astimezone(clinic.tz) for i, v in replacements.items()},
        },
    )


@staff_required
def appointment_status(request, appointment_uuid):
    appointment = _appointment(request, appointment_uuid, what="schedule.appointment.status")
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid status. Nothing was changed.")
    else:
        try:
            actions.set_status(
                appointment=appointment, status=form.cleaned_data["status"], by=request.user
            )
            messages.success(
                request,
                f"{appointment.patient.full_name}: {appointment.get_status_display().lower()}.",
            )
        except BookingError as exc:
            messages.error(request, exc.message)
    return _back(request, f"/schedule/appointments/{appointment.uuid}/")


@staff_required
def appointment_cancel(request, appointment_uuid):
    appointment = _appointment(request, appointment_uuid, what="schedule.appointment.cancel")
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        actions.cancel_appointment(
            appointment=appointment, reason=form.cleaned_data.get("reason", ""), by=request.user
        )
        messages.success(request, "Appointment cancelled.")
    except BookingError as exc:
        messages.error(request, exc.message)
    return _back(request, f"/schedule/appointments/{appointment.uuid}/")


def _may_edit_hours(user, clinic, practitioner) -> bool:
    return user.pk == practitioner.pk or user.has_role(clinic, Role.CLINIC_ADMIN, Role.FRONT_DESK)


def _editable_practitioners(request):
    everyone = clinic_practitioners(request.clinic)
    if request.user.has_role(request.clinic, Role.CLINIC_ADMIN, Role.FRONT_DESK):
        return everyone
    return everyone.filter(pk=request.user.pk)


@staff_required
@require_GET
def availability_view(request):
    return _availability_page(request)


def _availability_page(request, *, weekly_form=None, exception_form=None):
    clinic = request.clinic
    practitioners = _editable_practitioners(request)
    initial = {"valid_from": clinic.today(), "date": clinic.today()}
    context = {
        "weekly": Availability.objects.filter(clinic=clinic)
        .select_related("practitioner")
        .order_by("practitioner__last_name", "weekday", "start_time"),
        "exceptions": AvailabilityException.objects.filter(clinic=clinic, date__gte=clinic.today())
        .select_related("practitioner")
        .order_by("date", "start_time"),
        "weekly_form": weekly_form
        or AvailabilityForm(initial=initial, practitioners=practitioners),
        "exception_form": exception_form
        or ExceptionForm(initial=initial, practitioners=practitioners),
        "can_edit": practitioners.exists(),
        "editable_ids": set(practitioners.values_list("pk", flat=True)),
        "clinic": clinic,
    }
    return render(request, "scheduling/availability.html", context)


@staff_required
@require_POST
def availability_add(request):
    form = AvailabilityForm(request.POST, practitioners=_editable_practitioners(request))
    if form.is_valid():
        try:
            actions.add_availability(clinic=request.clinic, by=request.user, **form.cleaned_data)
            messages.success(request, "Hours added.")
            return redirect("scheduling:availability")
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    messages.error(request, "Nothing was saved. Please correct the hours.")
    return _availability_page(request, weekly_form=form)


@staff_required
@require_POST
def exception_add(request):
    form = ExceptionForm(request.POST, practitioners=_editable_practitioners(request))
    if form.is_valid():
        try:
            actions.add_exception(clinic=request.clinic, by=request.user, **form.cleaned_data)
            messages.success(request, "Saved.")
            return redirect("scheduling:availability")
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    messages.error(request, "Nothing was saved. Please correct the form.")
    return _availability_page(request, exception_form=form)


@staff_required
def availability_remove(request, row_uuid):
    row = load(request, Availability, row_uuid, what="schedule.hours", select=("practitioner",))
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    if not _may_edit_hours(request.user, row.clinic_id, row.practitioner):
        raise PermissionDenied("You can change only your own hours.")
    actions.remove_availability(availability_row=row, by=request.user)
    messages.success(request, "Hours removed.")
    return redirect("scheduling:availability")


@staff_required
def exception_remove(request, row_uuid):
    row = load(
        request, AvailabilityException, row_uuid, what="schedule.hours", select=("practitioner",)
    )
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    if not _may_edit_hours(request.user, row.clinic_id, row.practitioner):
        raise PermissionDenied("You can change only your own hours.")
    actions.remove_exception(exception_row=row, by=request.user)
    messages.success(request, "Removed.")
    return redirect("scheduling:availability")


def _closures_page(request, *, closure_form=None, holidays_form=None):
    clinic = request.clinic
    today = clinic.today()
    upcoming = list(Closure.objects.filter(clinic=clinic, date__gte=today))
    booked_on_closed = (
        Appointment.objects.active()
        .filter(clinic=clinic, starts_at__gte=timezone.now())
        .select_related("patient", "practitioner")
    )
    closed_days = {c.date for c in upcoming}
    affected = [a for a in booked_on_closed if a.local_start().date() in closed_days]
    return render(
        request,
        "scheduling/closures.html",
        {
            "closures": upcoming,
            "affected": affected,
            "closure_form": closure_form or ClosureForm(),
            "holidays_form": holidays_form or HolidaysForm(initial={"year": today.year + 1}),
            "can_edit": request.user.has_role(clinic, Role.CLINIC_ADMIN, Role.FRONT_DESK),
            "clinic": clinic,
        },
    )


@staff_required
@require_GET
def closures(request):
    return _closures_page(request)


@role_required(Role.CLINIC_ADMIN, Role.FRONT_DESK)
@require_POST
def closure_add(request):
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            actions.add_closure(clinic=request.clinic, by=request.user, **form.cleaned_data)
            messages.success(request, "Closure saved. Nobody can be booked that day.")
            return redirect("scheduling:closures")
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    messages.error(request, "Nothing was saved. Please correct the form.")
    return _closures_page(request, closure_form=form)


@role_required(Role.CLINIC_ADMIN, Role.FRONT_DESK)
@require_POST
def closure_holidays(request):
    form = HolidaysForm(request.POST)
    if form.is_valid():
        added = actions.add_statutory_holidays(
            clinic=request.clinic, years=[form.cleaned_data["year"]], by=request.user
        )
        messages.success(
            request, f"Added {len(added)} statutory holiday{'s' if len(added) != 1 else ''}."
        )
        return redirect("scheduling:closures")
    messages.error(request, "Nothing was saved. Please give a year.")
    return _closures_page(request, holidays_form=form)


@staff_required
def closure_remove(request, row_uuid):
    # Scoped load first (another clinic's closure is a 404), then the role at that clinic.
    row = load(
        request,
        Closure,
        row_uuid,
        what="schedule.closures",
        roles=(Role.CLINIC_ADMIN, Role.FRONT_DESK),
    )
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    actions.remove_closure(closure=row, by=request.user)
    messages.success(request, "The clinic is open that day again.")
    return redirect("scheduling:closures")


@role_required(Role.PRACTITIONER)
@require_http_methods(["GET", "POST"])
def feed_settings(request):
    clinic = request.clinic
    token = None
    if request.method == "POST":
        token = actions.rotate_feed(practitioner=request.user, clinic=clinic, by=request.user)
        messages.success(request, "New calendar link created. The old link no longer works.")
    feed = CalendarFeed.objects.filter(practitioner=request.user, clinic=clinic).first()
    url = request.build_absolute_uri(f"/schedule/feed/{token}.ics") if token else None
    return render(request, "scheduling/feed.html", {"feed": feed, "url": url})


@require_GET
def feed(request, token):
    """Public but unguessable: 256 random bits in the URL; only its hash is stored."""
    row = (
        CalendarFeed.objects.select_related("practitioner", "clinic")
        .filter(token_hash=hash_feed_token(token))
        .first()
    )
    # An offboarded practitioner (account deactivated, or no longer a practitioner at this
    # clinic) has no feed: the URL may live on in a calendar app they still control.
    if (
        row is None
        or not row.practitioner.is_active
        or not row.practitioner.has_role(row.clinic_id, Role.PRACTITIONER)
    ):
        raise Http404
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        CalendarFeed.objects.filter(pk=row.pk).update(last_used_at=now)
    body, patients = practitioner_feed(row.practitioner, row.clinic, now=now)
    # The calendar app reads as the practitioner: each patient in the feed gets an access row.
    log_reads(user=row.practitioner, patients=patients, what="calendar.feed")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@role_required(Role.CLINIC_ADMIN)
@require_http_methods(["GET", "POST"])
def instructions(request):
    clinic = request.clinic
    initial = {kind: instruction_text(clinic, kind) for kind in InstructionTemplate.Kind.values}
    form = InstructionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        for kind in InstructionTemplate.Kind.values:
            if form.cleaned_data[kind].strip() != initial[kind].strip():
                actions.save_instruction(
                    clinic=clinic, kind=kind, body=form.cleaned_data[kind], by=request.user
                )
        messages.success(request, "Instructions saved.")
        return redirect("scheduling:instructions")
    return render(request, "scheduling/instructions.html", {"form": form})
