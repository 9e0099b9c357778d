"""Billing pages for front desk and clinic admins: a patient's billing, an invoice and its
steps (lines, split, issue, payments, refunds, credit notes, void, claims), and "invoice this
visit". Every record is read through the gateway; every write is an action in billing/actions.py.
Billing pages show money, services and dates only, never clinical notes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from imsclinic.accounts.models import Role
from imsclinic.billing import actions, charts, documents, exports, forms, online, reports
from imsclinic.billing.actions import BILLING_ROLES, BillingError
from imsclinic.billing.models import Claim, Coverage, Invoice, InvoiceKind, InvoiceStatus, Payment
from imsclinic.core.access import role_required, staff_required
from imsclinic.core.downloads import attachment, csv_writer
from imsclinic.gateway.records import (
    chart_view,
    load,
    portal_view,
    staff_see_only_whether_it_exists,
)
from imsclinic.scheduling.models import Appointment


def patient_summary(patient) -> dict:
    """A patient's invoices with what is still owed on each, the balance and account credit."""
    invoices = list(
        Invoice.objects.filter(patient=patient)
        .select_related("practitioner")
        .order_by("-service_date", "-created_at")
    )
    rows = [(invoice, actions.balance_due(invoice)) for invoice in invoices]
    return {
        "rows": rows,
        "balance": sum((due for _, due in rows), start=actions.money(0)),
        "credit": actions.account_credit(patient),
    }


@chart_view("billing.patient", roles=BILLING_ROLES)
@require_GET
def patient_billing(request, patient):
    return _patient_page(request, patient)


def _patient_page(request, patient, *, coverage_form=None, status=200):
    context = {
        "patient": patient,
        "coverages": Coverage.objects.filter(patient=patient),
        "coverage_form": coverage_form or forms.CoverageForm(),
        "statement_years": documents.years_with_payments(patient),
        **patient_summary(patient),
    }
    return render(request, "billing/patient.html", context, status=status)


@chart_view("billing.coverage.add", roles=BILLING_ROLES)
@require_POST
def add_coverage(request, patient):
    form = forms.CoverageForm(request.POST)
    if form.is_valid():
        try:
            actions.add_coverage(patient=patient, by=request.user, **form.cleaned_data)
        except BillingError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, "Coverage added.")
            return redirect("billing:patient", patient_uuid=patient.uuid)
    return _patient_page(request, patient, coverage_form=form, status=400)


@chart_view("billing.invoice.create", roles=BILLING_ROLES)
@require_POST
def new_invoice(request, patient):
    try:
        invoice = actions.create_invoice(patient=patient, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:patient", patient_uuid=patient.uuid)
    return redirect("billing:invoice", invoice_uuid=invoice.uuid)


@staff_required
def invoice_visit(request, appointment_uuid):
    appointment = load(
        request,
        Appointment,
        appointment_uuid,
        what="billing.invoice.visit",
        roles=BILLING_ROLES,
        select=("patient", "clinic", "service", "practitioner"),
    )
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    existing = (
        Invoice.objects.filter(appointment=appointment, kind=InvoiceKind.INVOICE)
        .exclude(status=InvoiceStatus.VOID)
        .first()
    )
    if existing is not None:
        return redirect("billing:invoice", invoice_uuid=existing.uuid)
    try:
        invoice = actions.invoice_appointment(appointment=appointment, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:appointment", appointment_uuid=appointment.uuid)
    messages.success(request, "Draft invoice created. Check it, then issue it.")
    return redirect("billing:invoice", invoice_uuid=invoice.uuid)


# --- The invoice page and its steps ---------------------------------------------------------


def _load_invoice(request, invoice_uuid, what):
    return load(
        request,
        Invoice,
        invoice_uuid,
        what=what,
        roles=BILLING_ROLES,
        select=("patient", "clinic", "practitioner", "corrects", "appointment__service"),
    )


def _choices(invoice):
    coverages = [(str(c.uuid), str(c)) for c in Coverage.objects.filter(patient=invoice.patient_id)]
    payments = [
        (
            str(p.uuid),
            f"{p.amount} {p.get_method_display().lower()} on {p.received_on:%Y-%m-%d}",
        )
        for p in invoice.payments.filter(amount__gt=0).order_by("received_on", "created_at")
    ]
    claims = [
        (str(c.uuid), f"{c.coverage.insurer_name}: {c.amount_claimed} ({c.get_status_display()})")
        for c in invoice.claims.select_related("coverage")
        if c.status != "paid"
    ]
    return {"coverage": coverages, "payment": payments, "claim": claims}


STEP_FORMS = {
    "line": forms.LineForm,
    "split": forms.SplitForm,
    "pay": forms.PaymentForm,
    "refund": forms.RefundForm,
    "credit": forms.CreditForm,
    "void": forms.VoidForm,
    "claim": forms.ClaimForm,
    "decide": forms.DecideForm,
}


def _step_forms(invoice, bound=None):
    """One form per step, each with its own prefix so fields never share an id on the page."""
    choices = _choices(invoice)
    built = {}
    for step, form_class in STEP_FORMS.items():
        form = bound if bound is not None and bound.prefix == step else form_class(prefix=step)
        for name, options in choices.items():
            if name in form.fields:
                optional = not form.fields[name].required
                form.fields[name].choices = ([("", "—")] if optional else []) + options
        built[step] = form
    return built


def _invoice_page(request, invoice, *, bound=None, status=200):
    lines = list(invoice.lines.all())
    context = {
        "invoice": invoice,
        "patient": invoice.patient,
        "lines": lines,
        "shares": invoice.shares.select_related("coverage"),
        "payments": invoice.payments.select_related("coverage", "recorded_by"),
        "claims": invoice.claims.select_related("coverage"),
        "credit_notes": invoice.credit_notes.all(),
        "credits": actions.credits_applied(invoice),
        "paid": actions.amount_paid(invoice),
        "due": actions.balance_due(invoice),
        "forms": _step_forms(invoice, bound),
    }
    return render(request, "billing/invoice.html", context, status=status)


@staff_required
@require_GET
def invoice_detail(request, invoice_uuid):
    return _invoice_page(request, _load_invoice(request, invoice_uuid, "billing.invoice"))


def _add_error(form, exc: BillingError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _pick(model, value, **scope):
    """The invoice's own payment or claim, or the patient's coverage, named in the form."""
    found = model.objects.filter(uuid=value, **scope).first()
    if found is None:
        raise Http404("No such record on this invoice.")
    return found


def _run_step(request, invoice, step, data):
    by = request.user
    patient_coverage = {"patient": invoice.patient}
    if step == "line":
        actions.add_line(invoice=invoice, by=by, **{**data, "discount": data["discount"] or 0})
        return "Line added."
    if step == "split":
        coverage = _pick(Coverage, data["coverage"], **patient_coverage)
        actions.split_with_payer(invoice=invoice, coverage=coverage, amount=data["amount"], by=by)
        return f"{data['amount']} billed to {coverage.insurer_name}."
    if step == "pay":
        coverage = None
        if data["coverage"]:
            coverage = _pick(Coverage, data["coverage"], **patient_coverage)
        payment = actions.record_payment(
            invoice=invoice,
            by=by,
            method=data["method"],
            amount=data["amount"],
            reference=data["reference"],
            coverage=coverage,
        )
        return f"Payment of {payment.amount} recorded."
    if step == "refund":
        payment = _pick(Payment, data["payment"], invoice=invoice)
        actions.refund_payment(payment=payment, by=by, amount=data["amount"], reason=data["reason"])
        return f"Refund of {data['amount']} recorded."
    if step == "credit":
        note = actions.issue_credit_note(
            invoice=invoice, by=by, amount=data["amount"], reason=data["reason"]
        )
        return f"Credit note {note.display_number} issued."
    if step == "void":
        actions.void_invoice(invoice=invoice, by=by, reason=data["reason"])
        return "Invoice voided."
    if step == "claim":
        coverage = _pick(Coverage, data["coverage"], **patient_coverage)
        actions.submit_claim(invoice=invoice, coverage=coverage, by=by, amount=data["amount"])
        return f"Claim sent to {coverage.insurer_name}."
    if step == "decide":
        claim = _pick(Claim, data["claim"], invoice=invoice)
        actions.decide_claim(
            claim=claim,
            by=by,
            status=data["status"],
            amount_paid=data["amount_paid"],
            reason=data["reason"],
        )
        return "Claim updated."
    raise Http404("No such step.")


OTHER_STEPS = ("remove-line", "email")
SIMPLE_STEPS = {
    "issue": (lambda invoice, by: actions.issue_invoice(invoice=invoice, by=by), "Invoice issued."),
}


@staff_required
def invoice_step(request, invoice_uuid, step):
    invoice = _load_invoice(request, invoice_uuid, f"billing.invoice.{step}")
    if step not in STEP_FORMS and step not in SIMPLE_STEPS and step not in OTHER_STEPS:
        raise Http404("No such step.")
    if request.method != "POST":  # after the scoped load: another clinic's is a 404
        return HttpResponseNotAllowed(["POST"])
    try:
        if step == "email":
            # Prints the PDF and sends it outside any transaction (billing/documents.py).
            sent_to = documents.email_document(
                invoice=invoice, kind=request.POST.get("document", ""), by=request.user
            )
            done = f"Sent to {sent_to}."
        elif step in SIMPLE_STEPS:
            run, done = SIMPLE_STEPS[step]
            run(invoice, request.user)
        elif step == "remove-line":
            line = invoice.lines.filter(pk=_int(request.POST.get("line"))).first()
            if line is None:
                raise Http404("No such line on this invoice.")
            actions.remove_line(line=line, by=request.user)
            done = "Line removed."
        else:
            form = _step_forms(invoice, STEP_FORMS[step](request.POST, prefix=step))[step]
            if not form.is_valid():
                return _invoice_page(request, invoice, bound=form, status=400)
            try:
                done = _run_step(request, invoice, step, form.cleaned_data)
            except BillingError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    # A rule about the invoice itself: shown at the top, where it is seen even
                    # when the invoice's state hides this step's form.
                    messages.error(request, exc.message)
                return _invoice_page(request, invoice, bound=form, status=400)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:invoice", invoice_uuid=invoice.uuid)
    messages.success(request, done)
    return redirect("billing:invoice", invoice_uuid=invoice.uuid)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Documents (PDF) ------------------------------------------------------------------------


def _pdf(data: bytes, name: str) -> HttpResponse:
    return attachment(HttpResponse(data, content_type="application/pdf"), name)


@staff_required
@require_GET
def invoice_document(request, invoice_uuid, kind):
    invoice = _load_invoice(request, invoice_uuid, f"billing.{kind}.pdf")
    try:
        data = documents.invoice_pdf(invoice=invoice, kind=kind, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:invoice", invoice_uuid=invoice.uuid)
    return _pdf(data, f"{kind}-{invoice.display_number}.pdf")


@chart_view("billing.statement.pdf", roles=BILLING_ROLES)
@require_GET
def statement(request, patient, year):
    try:
        data = documents.statement_pdf(patient=patient, year=year, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("billing:patient", patient_uuid=patient.uuid)
    return _pdf(data, f"statement-{year}-{patient.chart_number}.pdf")


def _own_invoice(patient, invoice_uuid) -> Invoice:
    """One of the patient's own invoices as the portal lists them (never a draft), or a 404."""
    invoice = (
        Invoice.objects.filter(patient=patient, uuid=invoice_uuid)
        .exclude(status=InvoiceStatus.DRAFT)
        .select_related("clinic", "patient", "practitioner", "corrects")
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@login_required
def portal_document(request, invoice_uuid, kind):
    staff_see_only_whether_it_exists(request, Invoice, invoice_uuid)
    return _portal_document(request, invoice_uuid=invoice_uuid, kind=kind)


@portal_view("billing.portal.document")
@require_GET
def _portal_document(request, patient, invoice_uuid, kind):
    invoice = _own_invoice(patient, invoice_uuid)
    try:
        data = documents.invoice_pdf(invoice=invoice, kind=kind, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("portal:home")
    return _pdf(data, f"{kind}-{invoice.display_number}.pdf")


@login_required
def portal_pay(request, invoice_uuid):
    """The patient pays what she still owes on one of her invoices on the payment provider's
    own page; its webhook records the payment (billing/online.py)."""
    staff_see_only_whether_it_exists(request, Invoice, invoice_uuid)
    return _portal_pay(request, invoice_uuid=invoice_uuid)


@portal_view("billing.portal.pay")
def _portal_pay(request, patient, invoice_uuid):
    invoice = _own_invoice(patient, invoice_uuid)  # someone else's invoice: 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        checkout = online.start_checkout(invoice=invoice, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("portal:home")
    # A link to the provider, not a redirect: the portal's Content-Security-Policy
    # (form-action 'self') stops a form's POST from being redirected to another site.
    context = {"checkout": checkout, "invoice": invoice, "provider": online.provider().name}
    return render(request, "billing/portal_checkout.html", context)


@portal_view("billing.portal.statement")
@require_GET
def portal_statement(request, patient, year):
    try:
        data = documents.statement_pdf(patient=patient, year=year, by=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("portal:home")
    return _pdf(data, f"statement-{year}.pdf")


# --- Owner reports --------------------------------------------------------------------------

REPORTS = {
    "close-out": ("Daily close-out", BILLING_ROLES),
    "revenue": ("Revenue", (Role.CLINIC_ADMIN, Role.PRACTITIONER)),
    "receivables": ("Accounts receivable ageing", BILLING_ROLES),
    "missed-visit-fees": ("No-show and late-cancellation fees", BILLING_ROLES),
}


def _report_for(request, name):
    """The report `name` for the active clinic, or a 404/403; practitioners see their own
    revenue only, whatever the query string says."""
    if name not in REPORTS:
        raise Http404("No such report.")
    clinic = request.clinic
    if clinic is None or not request.user.has_role(clinic, *REPORTS[name][1]):
        raise PermissionDenied("Your role at this clinic does not allow this report.")
    form = forms.ReportPeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return None, form
    today = clinic.today()
    day = (form.cleaned_data.get("day") if form.is_bound else None) or today
    year = (form.cleaned_data.get("year") if form.is_bound else None) or today.year
    if name == "close-out":
        return reports.closeout(clinic, day), form
    if name == "receivables":
        return reports.ageing(clinic, day), form
    if name == "missed-visit-fees":
        return reports.missed_visit_fees(clinic, year), form
    own = not request.user.has_role(clinic, Role.CLINIC_ADMIN)
    return reports.revenue(clinic, year, practitioner=request.user if own else None), form


@staff_required
@require_GET
def report_index(request):
    clinic = request.clinic
    available = [
        (name, label)
        for name, (label, roles) in REPORTS.items()
        if clinic is not None and request.user.has_role(clinic, *roles)
    ]
    if not available:
        raise PermissionDenied("Your role at this clinic has no billing reports.")
    return _report_index(request, available)


def _report_index(request, available, *, export_form=None, status=200):
    clinic = request.clinic
    context = {"available": available}
    if request.user.has_role(clinic, Role.CLINIC_ADMIN):
        today = clinic.today()
        context["export_form"] = export_form or forms.AccountantExportForm(
            initial={"start": today.replace(day=1), "end": today}
        )
    return render(request, "billing/reports.html", context, status=status)


@role_required(Role.CLINIC_ADMIN)
@require_GET
def accountant_export(request):
    """The accountant's CSV of invoices and payments over a date range (billing/exports.py)."""
    form = forms.AccountantExportForm(request.GET)
    if form.is_valid():
        try:
            name, text = exports.accountant_csv(
                clinic=request.clinic,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                by=request.user,
            )
        except BillingError as exc:
            form.add_error(exc.field, exc.message)
        else:
            response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
            return attachment(response, name)
    available = [
        (name, label)
        for name, (label, roles) in REPORTS.items()
        if request.user.has_role(request.clinic, *roles)
    ]
    return _report_index(request, available, export_form=form, status=400)


@staff_required
@require_GET
def report_page(request, name):
    report, form = _report_for(request, name)
    context = {
        "name": name,
        "label": REPORTS[name][0],
        "form": form,
        "report": report,
        "uses_year": name in ("revenue", "missed-visit-fees"),
        "chart": charts.bar_chart(report.title, report.bars) if report else "",
    }
    return render(request, "billing/report.html", context, status=200 if report else 400)


@staff_required
@require_GET
def report_csv(request, name):
    report, form = _report_for(request, name)
    if report is None:
        return render(
            request,
            "billing/report.html",
            {"name": name, "label": REPORTS[name][0], "form": form, "report": None},
            status=400,
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv_writer(response)
    writer.writerow(report.columns)
    writer.writerows(report.rows)
    writer.writerow(report.totals)
    return attachment(response, f"{report.title}.csv")


# --- Online payments (billing/online.py) ----------------------------------------------------


@csrf_exempt  # the provider's server posts here; its signature is the credential
@require_POST
def online_webhook(request):
    """The payment provider's webhook: 404 while online payments are off, 400 for a webhook
    that fails verification, 200 once the payment is recorded (or was already)."""
    if online.provider() is None:
        raise Http404("Online payments are not enabled.")
    try:
        payment = online.confirm(body=request.body, headers=request.headers)
    except (online.ProviderError, BillingError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        return JsonResponse({"detail": message}, status=400)
    return JsonResponse({"recorded": str(payment.uuid) if payment else None})
