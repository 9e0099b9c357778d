"""Waitlist pages: the list (filter, add, edit, withdraw), the matches of a free time (book in
one click, or offer it), and the patient's public page that accepts an offer."""

import datetime
import uuid

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from imsclinic.core.access import staff_required
from imsclinic.core.ratelimits import rate_limited
from imsclinic.gateway.records import load
from imsclinic.patients.models import Patient
from imsclinic.scheduling.availability import local_datetime
from imsclinic.scheduling.errors import BookingError
from imsclinic.scheduling.views import clinic_practitioners
from imsclinic.scheduling.waitlist import actions
from imsclinic.scheduling.waitlist.forms import (
    EntryForm,
    FilterForm,
    OfferForm,
    RankForm,
    WithdrawForm,
)
from imsclinic.scheduling.waitlist.matching import RANKINGS, free_slot, matches
from imsclinic.scheduling.waitlist.models import (
    OPEN_STATUSES,
    OfferRecipient,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
)
from imsclinic.scheduling.waitlist.offers import recipient_uuid

LIST_LIMIT = 200


def _back(request, fallback: str):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@staff_required
@require_http_methods(["GET"])
def waitlist(request):
    clinic = request.clinic
    form = FilterForm(
        request.GET or None, clinic=clinic, practitioners=clinic_practitioners(clinic)
    )
    entries = WaitlistEntry.objects.filter(clinic=clinic).select_related(
        "patient", "service", "practitioner", "appointment"
    )
    status = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        status = data["status"]
        if data["service"]:
            entries = entries.filter(service=data["service"])
        if data["practitioner"]:
            entries = entries.filter(practitioner=data["practitioner"])
        if data["q"]:
            matching = Patient.objects.filter(clinic=clinic).search(data["q"])
            entries = entries.filter(patient__in=matching.values("pk"))
    if status == "":
        entries = entries.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        entries = entries.filter(status=status)
    entries = list(entries.order_by("created_at")[:LIST_LIMIT])
    return render(
        request,
        "scheduling/waitlist/list.html",
        {"form": form, "entries": entries, "limit": LIST_LIMIT, "clinic": clinic},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def entry_add(request):
    clinic = request.clinic
    wanted = request.GET.get("patient") or request.POST.get("patient")
    if not wanted:
        query = request.GET.get("q", "").strip()
        found = Patient.objects.filter(clinic=clinic).search(query)[:20] if query else []
        return render(
            request, "scheduling/waitlist/choose_patient.html", {"query": query, "found": found}
        )
    patient = load(request, Patient, wanted, what="waitlist.add", select=("clinic",))
    if patient.clinic_id != clinic.pk:
        raise Http404
    form = EntryForm(
        request.POST or None,
        initial={**EntryForm.initial_for_new(clinic), "service": request.GET.get("service")},
        clinic=clinic,
        practitioners=clinic_practitioners(clinic),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_entry(
                clinic=clinic, patient=patient, by=request.user, **form.fields_for_action()
            )
            messages.success(request, f"{patient.full_name} is on the waitlist.")
            return redirect("scheduling:waitlist:list")
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    if request.method == "POST":
        messages.error(request, "Nothing was saved. Please see the message below.")
    return render(
        request,
        "scheduling/waitlist/entry.html",
        {"form": form, "patient": patient, "entry": None},
    )


def _entry(request, entry_uuid, what):
    return load(
        request,
        WaitlistEntry,
        entry_uuid,
        what=what,
        select=("patient", "service", "practitioner", "clinic", "appointment"),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def entry_edit(request, entry_uuid):
    entry = _entry(request, entry_uuid, "waitlist.entry")
    clinic = request.clinic
    form = EntryForm(
        request.POST or None,
        initial=EntryForm.initial_for(entry),
        clinic=clinic,
        practitioners=clinic_practitioners(clinic),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_entry(entry=entry, by=request.user, **form.fields_for_action())
            messages.success(request, "Waitlist entry saved.")
            return redirect("scheduling:waitlist:list")
        except BookingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    if request.method == "POST":
        messages.error(request, "Nothing was saved. Please see the message below.")
    offers = OfferRecipient.objects.filter(entry=entry).select_related(
        "offer", "offer__practitioner"
    )
    return render(
        request,
        "scheduling/waitlist/entry.html",
        {
            "form": form,
            "patient": entry.patient,
            "entry": entry,
            "offers": offers,
            "withdraw_form": WithdrawForm(),
        },
    )


@staff_required
def entry_withdraw(request, entry_uuid):
    entry = _entry(request, entry_uuid, "waitlist.withdraw")
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        actions.withdraw_entry(
            entry=entry, by=request.user, reason=form.cleaned_data.get("reason", "")
        )
        messages.success(request, f"{entry.patient.full_name} is off the waitlist.")
    except BookingError as exc:
        messages.error(request, exc.message)
    return redirect("scheduling:waitlist:list")


def _uuids(values) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def _slot_from(request, data):
    """(practitioner, aware start) from `practitioner` (uuid) and `start` (local
    YYYY-MM-DDTHH:MM), or a message saying what is wrong."""
    clinic = request.clinic
    wanted = _uuids([data.get("practitioner") or ""])
    practitioner = clinic_practitioners(clinic).filter(uuid__in=wanted).first() if wanted else None
    if practitioner is None:
        return None, None, "Choose one of this clinic's practitioners."
    try:
        local = datetime.datetime.fromisoformat((data.get("start") or "").strip())
    except ValueError:
        return None, None, "Give the time as a date and a time, e.g. 2026-12-07T10:30."
    if local.tzinfo is not None or not 2000 <= local.year <= 2100:
        return None, None, "Give the time as a date and a time, e.g. 2026-12-07T10:30."
    return practitioner, local_datetime(local.date(), local.time(), clinic.tz), None


@staff_required
@require_http_methods(["GET"])
def matches_view(request):
    """Who on the waitlist fits a free time. `panel=1` (htmx) returns only the panel."""
    clinic = request.clinic
    practitioner, starts_at, problem = _slot_from(request, request.GET)
    rank_form = RankForm(request.GET)
    rank = rank_form.cleaned_data["rank"] if rank_form.is_valid() else ""
    rank = rank if rank in RANKINGS else "waiting"
    context = {"problem": problem, "rank": rank, "rankings": RANKINGS, "clinic": clinic}
    if not problem:
        slot = free_slot(clinic, practitioner, starts_at)
        offers = (
            WaitlistOffer.objects.filter(
                clinic=clinic, practitioner=practitioner, starts_at=starts_at
            )
            .select_related("appointment__patient")
            .prefetch_related("recipients__entry__patient")
        )
        context |= {
            "practitioner": practitioner,
            "starts_at": starts_at,
            "start_value": starts_at.astimezone(clinic.tz).strftime("%Y-%m-%dT%H:%M"),
            "slot": slot,
            "matches": matches(clinic, slot, rank=rank) if slot else [],
            "offers": offers,
            "offer_form": OfferForm(),
            # After booking or offering, back to the page that shows the panel.
            "here": request.headers.get("HX-Current-URL")
            or request.get_full_path().replace("panel=1", "panel=0"),
            "now": timezone.now(),
            "open_status": OfferStatus.OPEN,
        }
    template = (
        "scheduling/waitlist/_matches.html"
        if request.GET.get("panel") == "1"
        else "scheduling/waitlist/matches.html"
    )
    return render(request, template, context, status=200)


@staff_required
def entry_book(request, entry_uuid):
    """One click: book this waiting patient into the free time named in the form."""
    entry = _entry(request, entry_uuid, "waitlist.book")
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    practitioner, starts_at, problem = _slot_from(request, request.POST)
    fallback = reverse("scheduling:waitlist:list")
    if problem:
        messages.error(request, f"Nothing was booked. {problem}")
        return _back(request, fallback)
    try:
        appointment = actions.book_from_waitlist(
            entry=entry,
            practitioner=practitioner,
            starts_at=starts_at,
            by=request.user,
            same_day_override_reason=request.POST.get("same_day_override_reason", "")[:300],
        )
    except BookingError as exc:
        messages.error(request, f"Nothing was booked. {exc.message}")
        return _back(request, fallback)
    messages.success(
        request,
        f"Booked {entry.patient.full_name} from the waitlist: {entry.service.name} at "
        f"{appointment.local_start():%H:%M on %A %-d %B}.",
    )
    return redirect("scheduling:appointment", appointment_uuid=appointment.uuid)


@staff_required
@require_POST
def offer_create(request):
    clinic = request.clinic
    practitioner, starts_at, problem = _slot_from(request, request.POST)
    form = OfferForm(request.POST)
    fallback = reverse("scheduling:waitlist:list")
    if problem or not form.is_valid():
        messages.error(request, f"Nothing was sent. {problem or 'Check the hours to answer.'}")
        return _back(request, fallback)
    wanted = _uuids(request.POST.getlist("entry"))
    entries = list(
        WaitlistEntry.objects.filter(clinic=clinic, uuid__in=wanted).select_related("patient")
    )
    try:
        offer = actions.send_offer(
            clinic=clinic,
            practitioner=practitioner,
            starts_at=starts_at,
            entries=entries,
            by=request.user,
            hours=form.cleaned_data["hours"],
            email=form.cleaned_data["email"],
            sms=form.cleaned_data["sms"],
        )
    except BookingError as exc:
        messages.error(request, f"Nothing was sent. {exc.message}")
        return _back(request, fallback)
    count = len(entries)
    messages.success(
        request,
        f"Offer sent to {count} {'person' if count == 1 else 'people'}. The first to accept "
        f"gets the time; the offer ends {offer.expires_at.astimezone(clinic.tz):%H:%M on %-d %B}.",
    )
    return _back(request, fallback)


@require_http_methods(["GET", "POST"])
@rate_limited("public-booking")
def accept(request, token):
    """The patient's page behind the link in an offer: see the time, confirm it. Public, but
    only a signed link reaches it; it shows no chart details."""
    wanted = recipient_uuid(token)
    recipient = (
        OfferRecipient.objects.select_related(
            "offer__clinic", "offer__practitioner", "entry__service", "entry__appointment"
        )
        .filter(uuid=wanted)
        .first()
        if wanted
        else None
    )
    if recipient is None:
        return render(request, "scheduling/waitlist/accept.html", {"invalid": True}, status=404)
    offer = recipient.offer
    timezone.activate(offer.clinic.tz)
    answer = None
    if request.method == "POST":
        answer = actions.accept_offer(recipient=recipient)
        offer.refresh_from_db()
    return render(
        request,
        "scheduling/waitlist/accept.html",
        {
            "offer": offer,
            "clinic": offer.clinic,
            "service": recipient.entry.service,
            "answer": answer,
            "open": offer.is_open(timezone.now()),
            "mine": recipient,
        },
    )
