"""Gathering resources: a patient's `$everything` and a clinic's bulk export.

Both walk the same sections, one query per record type (scoped to a clinic or a patient), so the
per-patient Bundle and the NDJSON export always contain the same mapping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from imsclinic.billing.models import Claim, Coverage, Invoice, InvoiceLine, InvoiceShare, Payment
from imsclinic.billing.totals import NOTHING, settlements
from imsclinic.clinical.models import (
    AdverseEvent,
    Assessment,
    Consent,
    CourseOfCare,
    NeedlingRow,
    TreatmentSession,
)
from imsclinic.interop.fhir.adverse_event import adverse_event
from imsclinic.interop.fhir.careplan import care_plan
from imsclinic.interop.fhir.claim import claim_resource, claim_response
from imsclinic.interop.fhir.common import instant, validate, validating
from imsclinic.interop.fhir.condition import (
    assessment_conditions,
    condition_refs,
    course_conditions,
)
from imsclinic.interop.fhir.consent import consent
from imsclinic.interop.fhir.coverage import coverage_resource
from imsclinic.interop.fhir.device import needle_device, session_needle_keys
from imsclinic.interop.fhir.encounter import assessment_encounter, session_encounter
from imsclinic.interop.fhir.invoice import charge_items, invoice_resource
from imsclinic.interop.fhir.observation import (
    response_score_observations,
    session_pain_observations,
)
from imsclinic.interop.fhir.organization import organization, payer_name, payer_organization
from imsclinic.interop.fhir.patient import patient as patient_resource
from imsclinic.interop.fhir.payment import payment_reconciliation
from imsclinic.interop.fhir.practitioner import practitioner, practitioner_role
from imsclinic.interop.fhir.procedure import session_procedures
from imsclinic.interop.fhir.questionnaire import questionnaire, questionnaire_response
from imsclinic.outcomes.models import QuestionnaireResponse
from imsclinic.patients.models import Patient

CHUNK = 500


def _batches(iterable, size: int) -> Iterator[list]:
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _needling_rows(session_ids: list[int]) -> dict[int, list]:
    """session id -> its needling rows in charted order (the model's ordering)."""
    rows: dict[int, list] = {}
    if not session_ids:
        return rows
    for row in NeedlingRow.objects.filter(session_id__in=session_ids):
        rows.setdefault(row.session_id, []).append(row)
    return rows


class Walk:
    """One export walk over a clinic or one patient. Remembers which practitioners and
    instruments the records refer to, so they can be emitted once at the end.

    `signed_only` leaves out unsigned (draft) assessments and sessions and the adverse events of
    draft sessions, and draft invoices: what the patient downloads is only what their
    practitioner signed and the clinic issued. `billing=False` leaves out the billing resources
    (a practitioner's $everything: practitioners see their own revenue, not patients' bills)."""

    def __init__(self, *, clinic, patient=None, tick=None, signed_only=False, billing=True):
        self.clinic = clinic
        self.signed_only = signed_only
        self.include_billing = billing
        self.payer_names: set[str] = set()
        self.tick = tick or (lambda n=1: None)
        self.patient = patient
        self.user_ids: set[int] = set()
        self.instrument_ids: set[str] = set()
        self._course_refs: dict[int, list[dict]] = {}

    def scoped(self, model_class, patient_field: str = "patient", **extra):
        if self.patient is not None:
            return model_class.objects.filter(**{patient_field: self.patient}, **extra)
        return model_class.objects.filter(clinic=self.clinic, **extra)

    def course_refs(self, course) -> list[dict]:
        if course is None:
            return []
        if course.pk not in self._course_refs:
            self._course_refs[course.pk] = condition_refs(course)
        return self._course_refs[course.pk]

    # ---- sections -------------------------------------------------------------------------
    def patients(self) -> Iterator:
        if self.patient is not None:
            yield patient_resource(self.patient)
            return
        queryset = Patient.objects.filter(clinic=self.clinic).select_related("clinic")
        for record in queryset.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            yield patient_resource(record)

    def assessments(self) -> Iterator:
        queryset = self.scoped(Assessment).select_related("patient", "clinic", "practitioner")
        if self.signed_only:
            queryset = queryset.filter(signed_at__isnull=False)
        for record in queryset.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            self.user_ids.add(record.practitioner_id)
            yield assessment_encounter(record)
            yield from assessment_conditions(record)

    def courses(self) -> Iterator:
        # assessment__patient: the course's Condition references map its assessment's
        # Conditions, which name the patient (without it, one query per course).
        queryset = self.scoped(CourseOfCare).select_related(
            "patient", "clinic", "practitioner", "assessment__patient"
        )
        for record in queryset.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            self.user_ids.add(record.practitioner_id)
            yield from course_conditions(record)
            yield care_plan(record, self.course_refs(record))

    def sessions(self) -> Iterator:
        queryset = self.scoped(TreatmentSession).select_related(
            "patient", "clinic", "practitioner", "course__assessment"
        )
        if self.signed_only:
            queryset = queryset.filter(signed_at__isnull=False)
        records = queryset.order_by("id").iterator(chunk_size=CHUNK)
        for batch in _batches(records, CHUNK):
            # The needling rows of a batch in one query, grouped here: prefetch_related clones a
            # queryset per session, a visible cost for a 500-session chart.
            rows_by_session = _needling_rows([record.pk for record in batch])
            for record in batch:
                self.tick()
                self.user_ids.add(record.practitioner_id)
                rows = rows_by_session.get(record.pk, [])
                yield session_encounter(record)
                yield from session_pain_observations(record)
                for index, key in enumerate(session_needle_keys(rows)):
                    yield needle_device(record, index, key)
                yield from session_procedures(record, rows, self.course_refs(record.course))

    def adverse_events(self) -> Iterator:
        queryset = (
            self.scoped(AdverseEvent)
            .select_related("patient", "session")
            .prefetch_related("session__needling_rows")
        )
        if self.signed_only:
            queryset = queryset.filter(session__signed_at__isnull=False)
        for record in queryset.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            if getattr(record, "recorded_by_id", None):
                self.user_ids.add(record.recorded_by_id)
            count = len(record.session.needling_rows.all())
            ids = [f"{record.session.uuid}-p{i}" for i in range(count)]
            yield adverse_event(record, ids)

    def consents(self) -> Iterator:
        queryset = self.scoped(Consent).select_related(
            "patient", "clinic", "text_version", "explained_by"
        )
        for record in queryset.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            self.user_ids.add(record.explained_by_id)
            yield consent(record)

    def responses(self) -> Iterator:
        from imsclinic.knowledge import load_knowledge

        instruments = load_knowledge().instruments
        queryset = self.scoped(QuestionnaireResponse).select_related(
            "patient", "course", "entered_by"
        )
        for record in queryset.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            if getattr(record, "entered_by_id", None):
                self.user_ids.add(record.entered_by_id)
            self.instrument_ids.add(record.instrument_id)
            yield questionnaire_response(record)
            yield from response_score_observations(record, instruments.get(record.instrument_id))

    def billing(self) -> Iterator:
        """Coverage, Invoice and its ChargeItems, PaymentReconciliation, Claim and
        ClaimResponse (issue 16). Amounts are in the invoice's currency; a payment held as
        account credit is in the clinic's."""
        if not self.include_billing:
            return
        currency = self.clinic.policy("currency", "CAD")
        coverages = self.scoped(Coverage).select_related("clinic", "patient")
        for record in coverages.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            self.payer_names.add(payer_name(record))
            yield coverage_resource(record)
        invoices = self.scoped(Invoice).select_related(
            "clinic", "patient", "practitioner", "corrects"
        )
        if self.signed_only:
            invoices = invoices.exclude(status="draft")
        for batch in _batches(invoices.order_by("id").iterator(chunk_size=CHUNK), CHUNK):
            ids = [record.pk for record in batch]
            lines: dict[int, list] = {}
            for line in InvoiceLine.objects.filter(invoice_id__in=ids).select_related("service"):
                lines.setdefault(line.invoice_id, []).append(line)
            shares: dict[int, list] = {}
            for share in InvoiceShare.objects.filter(invoice_id__in=ids).select_related(
                "coverage__clinic"
            ):
                shares.setdefault(share.invoice_id, []).append(share)
            paid = settlements(ids)
            for record in batch:
                self.tick()
                if record.practitioner_id:
                    self.user_ids.add(record.practitioner_id)
                own = lines.get(record.pk, [])
                yield invoice_resource(
                    record, own, shares.get(record.pk, []), paid.get(record.pk, NOTHING)
                )
                yield from charge_items(record, own)
        payments = self.scoped(Payment).select_related(
            "clinic", "invoice", "coverage__clinic", "refund_of"
        )
        for record in payments.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            money_in = record.invoice.currency if record.invoice_id else currency
            yield payment_reconciliation(record, money_in)
        claims = self.scoped(Claim, patient_field="invoice__patient").select_related(
            "clinic", "invoice__patient", "coverage__clinic"
        )
        for record in claims.order_by("id").iterator(chunk_size=CHUNK):
            self.tick()
            yield claim_resource(record, record.invoice.currency)
            response = claim_response(record, record.invoice.currency)
            if response is not None:
                yield response

    def reference_data(self) -> Iterator:
        """The clinic, the practitioners (with their role here) and the instruments used."""
        from imsclinic.accounts.models import Membership, User
        from imsclinic.knowledge import load_knowledge

        yield organization(self.clinic)
        roles: dict[int, set[str]] = {}
        memberships = Membership.objects.filter(clinic=self.clinic, is_active=True)
        if self.patient is not None:
            memberships = memberships.filter(user_id__in=self.user_ids)
        for user_id, role in memberships.values_list("user_id", "role"):
            roles.setdefault(user_id, set()).add(role)
        user_ids = set(roles) | self.user_ids
        users = User.objects.filter(pk__in=user_ids).prefetch_related(
            "registrations", "needling_authorisations"
        )
        for user in users.order_by("id"):
            yield practitioner(user)
            yield practitioner_role(user, self.clinic, roles.get(user.pk, set()))
        instruments = load_knowledge().instruments
        for instrument_id in sorted(self.instrument_ids):
            if instrument_id in instruments:
                yield questionnaire(instruments[instrument_id])
        for name in sorted(self.payer_names):
            yield payer_organization(self.clinic, name)

    def __iter__(self) -> Iterator:
        yield from self.patients()
        yield from self.assessments()
        yield from self.courses()
        yield from self.consents()
        yield from self.sessions()
        yield from self.adverse_events()
        yield from self.responses()
        yield from self.billing()
        # Last: it needs the practitioners and instruments the records above referred to.
        yield from self.reference_data()


def patient_everything(patient, *, signed_only: bool = False, billing: bool = True) -> list:
    """Every resource about one patient (FHIR Patient/$everything); `signed_only` for the
    patient's own download (no drafts); `billing=False` without the billing resources."""
    walk = Walk(clinic=patient.clinic, patient=patient, signed_only=signed_only, billing=billing)
    return list(walk)


def everything_bundle(
    patient, *, base_url: str = "", signed_only: bool = False, billing: bool = True
) -> dict:
    """A searchset Bundle of `patient_everything`, each entry with its fullUrl.

    The resources are already pruned dicts, so the Bundle is assembled as-is; under
    `strict_validation()` the whole Bundle is validated with the R4B Bundle class as well.
    """
    from django.utils import timezone

    resources = patient_everything(patient, signed_only=signed_only, billing=billing)
    base = base_url.rstrip("/")
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": instant(timezone.now()),
        "total": len(resources),
        "entry": [_entry(base, r) for r in resources],
    }
    if not resources:  # FHIR forbids an empty list; a Patient is always there in practice.
        del bundle["entry"]
    if validating():
        validate(bundle)
    return bundle


# Streaming: entries are encoded one by one and sent in pieces of about this many characters.
STREAM_PIECE = 64 * 1024
# A streamed export hands the interpreter lock to the server's other threads after every few
# entries (`time.sleep(0)`). Otherwise a chart view on the same worker waits up to the switch
# interval (5 ms) for the lock after each of its database queries while the export computes.
YIELD_EVERY = 8


def everything_json(
    patient, *, base_url: str = "", signed_only: bool = False, billing: bool = True
) -> Iterator[bytes]:
    """`everything_bundle` as UTF-8 JSON, built while it is sent.

    The same Bundle (tests/interop/test_export.py), encoded an entry at a time instead of
    one `json.dumps` of the whole: a 500-session patient's Bundle (about 4,600 resources, 5 MB)
    is never held whole in memory, and the encoding never holds the interpreter lock for long
    (a single dumps of that Bundle holds it for about 0.1 s, stalling every other request of the
    worker). `total` comes last, when it is known: JSON objects are unordered, and FHIR asks
    only that `resourceType` come first. Run it outside any transaction: each section is one
    read, as in `everything_bundle`.
    """
    from django.utils import timezone

    base = base_url.rstrip("/")
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    head = {"resourceType": "Bundle", "type": "searchset", "timestamp": instant(timezone.now())}
    pieces = [encode(head)[:-1]]  # the object stays open for the entries and the total
    size = 0
    count = 0
    for resource in Walk(
        clinic=patient.clinic, patient=patient, signed_only=signed_only, billing=billing
    ):
        entry = encode(_entry(base, resource))
        # FHIR forbids an empty list, so "entry" opens with its first element.
        pieces.append(("," if count else ',"entry":[') + entry)
        size += len(entry)
        count += 1
        if count % YIELD_EVERY == 0:
            time.sleep(0)
        if size >= STREAM_PIECE:
            yield "".join(pieces).encode()
            pieces, size = [], 0
    pieces.append(f'{"]" if count else ""},"total":{count}}}')
    yield "".join(pieces).encode()


def _entry(base: str, resource: dict) -> dict:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": "match" if resource["resourceType"] == "Patient" else "include"},
    }


def clinic_resources(clinic) -> Iterator:
    """Every resource of one clinic, for the bulk NDJSON export."""
    return iter(Walk(clinic=clinic))


# The record types each Walk section reads, for progress totals.
SOURCE_MODELS = (
    Patient,
    Assessment,
    CourseOfCare,
    Consent,
    TreatmentSession,
    AdverseEvent,
    QuestionnaireResponse,
    Coverage,
    Invoice,
    Payment,
    Claim,
)


def clinic_record_count(clinic) -> int:
    """How many source records a clinic export walks (the progress bar's total)."""
    total = 0
    for model_class in SOURCE_MODELS:
        total += model_class.objects.filter(clinic=clinic).count()
    return total
