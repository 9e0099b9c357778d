"""Monthly per-clinic analytics rollups: kept current at signing, rebuildable from the records.

Tables (outcomes/models.py):
- PatientMonthRollup: signed sessions per (clinic, clinic-local month, patient, practitioner,
  course condition);
- EventMonthRollup: adverse events of signed sessions per (clinic, month, practitioner,
  condition, kind, severity);
- ClinicMonthRollup: sessions, distinct patients and adverse events per clinic and month (the
  network owner's dashboard).

Kept current by the audited actions that change them (`core.signals.chart_written` with the
action's name: signing, adverse events, course changes): the patient's rows are recomputed from
their own sessions, then the clinic-months they touch. `imsclinic analytics rebuild` recomputes
everything (after bulk imports, the demo and benchmark generators, or to check).

Readers (`session_figures`, `event_rows`) answer a date filter with whole months from the
rollups and the partial months at its edges from the records (an indexed range on the clinic's
sessions), so every figure equals the direct computation (tests/outcomes/test_rollups.py).
"""

import datetime
from collections import Counter, defaultdict

from django.db import transaction

# Audited actions whose writes change what the rollups count.
ROLLUP_ACTIONS = ("session.sign", "adverse_event.record", "course.")


def month_start(moment: datetime.datetime, tz) -> datetime.date:
    return moment.astimezone(tz).date().replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _midnight(day: datetime.date, tz) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


# --- maintenance --------------------------------------------------------------------------------


def _signed_sessions():
    from imsclinic.clinical.models import TreatmentSession

    return TreatmentSession.objects.filter(signed_at__isnull=False).order_by()


def _session_counts(rows, tz) -> Counter:
    """Counter{(month, patient, practitioner, condition): sessions} from raw session tuples."""
    counts: Counter = Counter()
    for started_at, patient_id, practitioner_id, condition_id in rows:
        counts[(month_start(started_at, tz), patient_id, practitioner_id, condition_id or "")] += 1
    return counts


SESSION_FIELDS = ("started_at", "patient_id", "practitioner_id", "course__condition_id")


def refresh_patient(patient_id: int) -> None:
    """Recompute a patient's session rows, then the clinic-months they touch (one transaction)."""
    from imsclinic.outcomes.models import PatientMonthRollup
    from imsclinic.patients.models import Patient

    patient = Patient.objects.select_related("clinic").only("clinic").get(pk=patient_id)
    clinic = patient.clinic
    with transaction.atomic():
        existing = PatientMonthRollup.objects.filter(patient_id=patient_id)
        months = set(existing.values_list("month", flat=True))
        counts = _session_counts(
            _signed_sessions().filter(patient_id=patient_id).values_list(*SESSION_FIELDS),
            clinic.tz,
        )
        existing.delete()
        PatientMonthRollup.objects.bulk_create(
            PatientMonthRollup(
                clinic_id=clinic.pk,
                month=month,
                patient_id=pid,
                practitioner_id=practitioner,
                condition_id=condition,
                sessions=n,
            )
            for (month, pid, practitioner, condition), n in counts.items()
        )
        months |= {key[0] for key in counts}
        refresh_clinic_months(clinic, months)


def refresh_clinic_months(clinic, months) -> None:
    """Recompute a clinic's event rows and month totals for `months` from records and rows."""
    from imsclinic.accounts.models import Clinic

    with transaction.atomic():
        # Serialise a clinic's refreshes: two signatures at once would otherwise rebuild the same
        # month side by side (a duplicate month row, or totals that miss the other's patient rows).
        # NO KEY UPDATE does not block the inserts that reference the clinic.
        list(Clinic.objects.select_for_update(no_key=True).filter(pk=clinic.pk).values("pk"))
        _refresh_clinic_months(clinic, months)


def _refresh_clinic_months(clinic, months) -> None:
    from django.db.models import Count, Sum

    from imsclinic.clinical.models import AdverseEvent
    from imsclinic.outcomes.models import ClinicMonthRollup, EventMonthRollup, PatientMonthRollup

    tz = clinic.tz
    for month in sorted(months):
        low, high = _midnight(month, tz), _midnight(next_month(month), tz)
        events = Counter()
        for practitioner, condition, kind, severity in (
            AdverseEvent.objects.filter(
                clinic=clinic,
                session__clinic=clinic,
                session__signed_at__isnull=False,
                session__started_at__gte=low,
                session__started_at__lt=high,
            )
            .order_by()
            .values_list(
                "session__practitioner_id", "session__course__condition_id", "kind", "severity"
            )
        ):
            events[(practitioner, condition or "", kind, severity)] += 1
        EventMonthRollup.objects.filter(clinic=clinic, month=month).delete()
        EventMonthRollup.objects.bulk_create(
            EventMonthRollup(
                clinic=clinic,
                month=month,
                practitioner_id=practitioner,
                condition_id=condition,
                kind=kind,
                severity=severity,
                events=n,
            )
            for (practitioner, condition, kind, severity), n in events.items()
        )
        totals = PatientMonthRollup.objects.filter(clinic=clinic, month=month).aggregate(
            sessions=Sum("sessions"), patients=Count("patient_id", distinct=True)
        )
        ClinicMonthRollup.objects.filter(clinic=clinic, month=month).delete()
        if totals["sessions"] or events:
            ClinicMonthRollup.objects.create(
                clinic=clinic,
                month=month,
                sessions=totals["sessions"] or 0,
                patients=totals["patients"] or 0,
                adverse_events=sum(events.values()),
            )


def rebuild(clinics=None, *, progress=None) -> dict:
    """Recompute every rollup row (of `clinics`, default all) from the records."""
    from imsclinic.accounts.models import Clinic
    from imsclinic.outcomes.models import ClinicMonthRollup, EventMonthRollup, PatientMonthRollup

    clinics = list(clinics if clinics is not None else Clinic.objects.order_by("pk"))
    written = Counter()
    for clinic in clinics:
        with transaction.atomic():
            for model in (PatientMonthRollup, EventMonthRollup, ClinicMonthRollup):
                model.objects.filter(clinic=clinic).delete()
            counts = _session_counts(
                _signed_sessions()
                .filter(clinic=clinic)
                .values_list(*SESSION_FIELDS)
                .iterator(chunk_size=5000),
                clinic.tz,
            )
            PatientMonthRollup.objects.bulk_create(
                (
                    PatientMonthRollup(
                        clinic=clinic,
                        month=month,
                        patient_id=pid,
                        practitioner_id=practitioner,
                        condition_id=condition,
                        sessions=n,
                    )
                    for (month, pid, practitioner, condition), n in counts.items()
                ),
                batch_size=2000,
            )
            written["patient-months"] += len(counts)
            months = {key[0] for key in counts} | _event_months(clinic)
            refresh_clinic_months(clinic, months)
            written["clinic-months"] += len(months)
        if progress:
            progress()
    return dict(written)


def rebuild_derived(clinics=None, *, progress=None) -> dict:
    """Course priorities, the patients' latest booked starts (scheduling/booked.py), per-course
    outcome rows and analytics rollups of `clinics` (default all), from the records."""
    from imsclinic.accounts.models import Clinic
    from imsclinic.clinical.models import CourseOfCare
    from imsclinic.outcomes import course_outcomes
    from imsclinic.outcomes.priority import refresh_course_priorities
    from imsclinic.patients.models import Patient
    from imsclinic.scheduling.booked import refresh_latest_booked

    clinics = list(clinics if clinics is not None else Clinic.objects.order_by("pk"))
    courses = CourseOfCare.objects.filter(clinic__in=clinics)
    changed = refresh_course_priorities(courses)
    booked = refresh_latest_booked(Patient.objects.filter(clinic__in=clinics))
    return {
        "course priorities changed": changed,
        "patients' latest bookings refreshed": booked,
        "course outcome rows": course_outcomes.rebuild(clinics),
        **rebuild(clinics, progress=progress),
    }


def rebuild_after_demo(ctx) -> None:
    """The demo's last step (core/demo.py DEMO_STEPS): it writes in bulk, without actions."""
    rebuild_derived([ctx.clinic, ctx.other_clinic])


def _event_months(clinic) -> set:
    from imsclinic.clinical.models import AdverseEvent

    return {
        month_start(at, clinic.tz)
        for at in AdverseEvent.objects.filter(clinic=clinic, session__signed_at__isnull=False)
        .order_by()
        .values_list("session__started_at", flat=True)
    }


# --- reading ------------------------------------------------------------------------------------


def split_range(start, end):
    """(first whole month or None, end of whole months (exclusive) or None, partial day ranges).

    Whole months are read from the rollups; each partial range [low, high) of days is read from
    the records. No start means from the beginning, no end means up to now.
    """
    first_full = None if start is None else (start if start.day == 1 else next_month(start))
    end_excl = None if end is None else end + datetime.timedelta(days=1)
    full_end = None if end_excl is None else end_excl.replace(day=1)
    partial = []
    if start is not None and start.day != 1:
        high = next_month(start) if end_excl is None else min(next_month(start), end_excl)
        partial.append((start, high))
    if end_excl is not None and end_excl.day != 1:
        low = end_excl.replace(day=1) if start is None else max(end_excl.replace(day=1), start)
        if (low, end_excl) not in partial and (not partial or low >= partial[0][1]):
            partial.append((low, end_excl))
    return first_full, full_end, partial


def _whole_months(queryset, first_full, full_end):
    if first_full is not None:
        queryset = queryset.filter(month__gte=first_full)
    if full_end is not None:
        queryset = queryset.filter(month__lt=full_end)
    if first_full is not None and full_end is not None and first_full >= full_end:
        return queryset.none()
    return queryset


def event_rows(f) -> list[tuple]:
    """(practitioner_id, kind, severity, events) rows covering exactly the filter `f`."""
    from imsclinic.clinical.models import AdverseEvent
    from imsclinic.outcomes.models import EventMonthRollup

    tz = f.clinic.tz
    first_full, full_end, partial = split_range(f.start, f.end)
    rollup = EventMonthRollup.objects.filter(clinic=f.clinic)
    if f.condition:
        rollup = rollup.filter(condition_id=f.condition)
    rows = list(
        _whole_months(rollup, first_full, full_end).values_list(
            "practitioner_id", "kind", "severity", "events"
        )
    )
    for low, high in partial:
        raw = AdverseEvent.objects.filter(
            clinic=f.clinic,
            session__clinic=f.clinic,
            session__signed_at__isnull=False,
            session__started_at__gte=_midnight(low, tz),
            session__started_at__lt=_midnight(high, tz),
        ).order_by()
        if f.condition:
            raw = raw.filter(session__course__condition_id=f.condition)
        counts = Counter(raw.values_list("session__practitioner_id", "kind", "severity"))
        rows += [(*key, n) for key, n in counts.items()]
    return rows


def session_figures(f) -> dict:
    """Totals, per-month and per-practitioner session and distinct-patient counts for `f`.

    Whole months are three aggregate queries over the patient-month rows (a covering index, so
    the database counts distinct patients without fetching a row to Python: at network size the
    Python loop over a clinic's rows cost twice the queries). The partial months at the filter's
    edges come from the sessions; their patients are counted once more only if the whole months
    did not already count them (one query for those patients' whole-month rows).
    """
    from django.db.models import Count, Sum

    from imsclinic.outcomes.models import PatientMonthRollup

    first_full, full_end, partial = split_range(f.start, f.end)
    rollup = PatientMonthRollup.objects.filter(clinic=f.clinic)
    if f.condition:
        rollup = rollup.filter(condition_id=f.condition)
    whole = _whole_months(rollup, first_full, full_end).order_by()
    counts = {"sessions": Sum("sessions"), "patients": Count("patient_id", distinct=True)}
    months = {r["month"]: r for r in whole.values("month").annotate(**counts)}
    practitioners = {
        r["practitioner_id"]: r for r in whole.values("practitioner_id").annotate(**counts)
    }
    totals = whole.aggregate(**counts)
    totals["sessions"] = totals["sessions"] or 0
    if partial:
        edge = _partial_session_counts(f, partial)
        edge_patients = {patient for _month, patient, _practitioner in edge}
        counted = set(
            whole.filter(patient_id__in=edge_patients)
            .values_list("patient_id", "practitioner_id")
            .distinct()
        )
        counted_patients = {patient for patient, _practitioner in counted}
        edge_months: dict = defaultdict(lambda: [0, set()])
        new_per_practitioner: dict = defaultdict(lambda: [0, set()])
        for (month, patient, practitioner), n in edge.items():
            edge_months[month][0] += n
            edge_months[month][1].add(patient)
            new_per_practitioner[practitioner][0] += n
            if (patient, practitioner) not in counted:
                new_per_practitioner[practitioner][1].add(patient)
        for month, (n, patients) in edge_months.items():
            months[month] = {"month": month, "sessions": n, "patients": len(patients)}
        for practitioner, (n, patients) in new_per_practitioner.items():
            row = practitioners.setdefault(
                practitioner, {"practitioner_id": practitioner, "sessions": 0, "patients": 0}
            )
            row["sessions"] += n
            row["patients"] += len(patients)
        totals["sessions"] += sum(edge.values())
        totals["patients"] += len(edge_patients - counted_patients)
    return {
        "totals": totals,
        "over_time": [
            {"month": m, "sessions": months[m]["sessions"], "patients": months[m]["patients"]}
            for m in sorted(months)
        ],
        "by_practitioner": {
            pid: {"practitioner_id": pid, "sessions": r["sessions"], "patients": r["patients"]}
            for pid, r in practitioners.items()
        },
    }


def _partial_session_counts(f, partial) -> Counter:
    """Counter{(month, patient, practitioner): signed sessions} of the partial day ranges."""
    tz = f.clinic.tz
    counts: Counter = Counter()
    for low, high in partial:
        raw = _signed_sessions().filter(
            clinic=f.clinic, started_at__gte=_midnight(low, tz), started_at__lt=_midnight(high, tz)
        )
        if f.condition:
            raw = raw.filter(course__condition_id=f.condition)
        for (month, patient, practitioner, _c), n in _session_counts(
            raw.values_list(*SESSION_FIELDS), tz
        ).items():
            counts[(month, patient, practitioner)] += n
    return counts


def network_months(clinic_ids, *, since: datetime.date | None = None) -> list[dict]:
    """Per clinic and month: sessions, patients, adverse events (the network dashboard)."""
    from imsclinic.outcomes.models import ClinicMonthRollup

    rows = ClinicMonthRollup.objects.filter(clinic_id__in=list(clinic_ids))
    if since is not None:
        rows = rows.filter(month__gte=since)
    return list(
        rows.order_by("clinic_id", "month").values(
            "clinic_id", "month", "sessions", "patients", "adverse_events"
        )
    )
