"""Rows of care for the network generator (bench/scale.py): consent, assessment, courses of
care, signed sessions with needling rows and adverse events, outcome questionnaires and the next
appointment. Each function returns dicts keyed by the contract's field names for bench/bulk.py.
"""

import datetime
import random
import uuid
from decimal import Decimal

from django.utils import timezone

# Ids come from the knowledge base and are checked against it when the module loads, so the
# benchmark can never write a muscle or condition the app would refuse ("multifidus").
MUSCLES = [
    "gluteus_medius",
    "gluteus_maximus",
    "piriformis",
    "quadratus_lumborum",
    "lumbar_multifidus_l5",
    "tensor_fasciae_latae",
    "vastus_lateralis",
    "gastrocnemius",
    "upper_trapezius",
    "levator_scapulae",
    "infraspinatus",
    "supraspinatus",
    "splenius_capitis",
    "extensor_carpi_radialis_longus",
]
# (knowledge condition id, side of its segments)
CONDITION_SIDES = [
    ("low_back_pain", "R"),
    ("neck_pain", "R"),
    ("lateral_epicondylitis", "R"),
    ("shoulder_pain_rotator_cuff", "L"),
    ("knee_osteoarthritis", "L"),
]


def _conditions() -> list[tuple[str, list[str], list[str]]]:
    """(condition id, its ICD-10-CA codes, sided target segments) from the knowledge base."""
    from imsclinic.knowledge import is_known_id, load_knowledge

    kb = load_knowledge()
    unknown = [m for m in MUSCLES if not is_known_id("muscle", m)]
    if unknown:
        raise ValueError(f"bench muscles not in the knowledge base: {', '.join(unknown)}")
    rows = []
    for condition_id, side in CONDITION_SIDES:
        condition = kb.conditions[condition_id]  # KeyError names an unknown id
        codes = [code.code for code in condition.icd10 if code.system == "ca"]
        rows.append(
            (condition_id, codes, [f"{segment}-{side}" for segment in condition.segments[:3]])
        )
    return rows


CONDITIONS = _conditions()


def outcome_table() -> dict[str, list[tuple[dict, object]]]:
    """A few scored answer sets per instrument, computed once by the knowledge engine."""
    from imsclinic.knowledge import load_knowledge, score_instrument

    kb = load_knowledge()
    table = {}
    for instrument_id in ("nprs", "lefs"):
        instrument = kb.instruments.get(instrument_id)
        if instrument is None:
            continue
        variants = []
        for level in range(11):
            answers = {
                item.id: round(item.min + (item.max - item.min) * level / 10)
                for item in instrument.items
                if not item.optional
            }
            variants.append((answers, score_instrument(instrument_id, answers)))
        table[instrument_id] = variants
    return table


def consent_texts(net) -> dict:
    """The current consent text of every clinic (version 1, the default wording, if none)."""
    from imsclinic.clinical.models import (
        DEFAULT_CONSENT_BODY,
        DEFAULT_CONSENT_TITLE,
        ConsentTextVersion,
    )

    texts = {}
    for clinic in net.clinics:
        text = ConsentTextVersion.current_for(clinic.pk)
        if text is None:
            text = ConsentTextVersion.objects.create(
                clinic=clinic,
                version=1,
                title=DEFAULT_CONSENT_TITLE,
                body=DEFAULT_CONSENT_BODY,
                covers_thorax=True,
            )
        texts[clinic.pk] = text.pk
    return texts


def care_for_chunk(chunk, w, net, rng, now, outcome_scores, consent_texts, *, in_care: str) -> int:
    """Consent, assessment, courses, sessions, needling rows, outcomes and appointments for a
    chunk of (patient row, clinic, session count); `in_care` is a chart number always in care."""
    if w.sessions is None:
        return 0
    assessments, courses, sessions, rows, responses, appointments = [], [], [], [], [], []
    consents, events = [], []
    for patient, clinic, k in chunk:
        if k == 0:
            continue
        practitioner = rng.choice(net.practitioners[clinic.pk])
        # Recent patients are in care now; others finished some time in the last three years.
        active = rng.random() < 0.3 or patient["chart_number"] == in_care
        last = now - datetime.timedelta(
            days=rng.randrange(1, 7) if active else rng.randrange(30, 1000)
        )
        first = last - datetime.timedelta(days=7 * (k - 1))
        condition, icd10, segments = rng.choice(CONDITIONS)
        if w.consents is not None:
            signed = first - datetime.timedelta(days=3)
            consents.append(
                {
                    "uuid": _uuid(rng),
                    "patient_id": patient["id"],
                    "clinic_id": clinic.pk,
                    "text_version_id": consent_texts[clinic.pk],
                    "explained_by_id": practitioner,
                    "signature_name": f"{patient['given_name']} {patient['family_name']}",
                    "signed_at": signed,
                    "covers_thorax": False,
                }
            )
        assessment_id = None
        if w.assessments is not None:
            assessment_id = w.assessments.next_pk()
            assessments.append(
                _assessment_row(assessment_id, patient, clinic, practitioner, first, rng)
                | {"condition_id": condition, "icd10_codes": icd10, "accepted_segments": segments}
            )
        # Courses of up to 10 sessions; only the patient's last course can be active.
        course_sizes = [10] * ((k - 1) // 10) + [k - 10 * ((k - 1) // 10)]
        number = 0
        for c, size in enumerate(course_sizes):
            is_last = c == len(course_sizes) - 1
            course_id = None
            course_start = first + datetime.timedelta(days=7 * number)
            course_end = course_start + datetime.timedelta(days=7 * (size - 1))
            status = "active" if (is_last and active) else "discharged"
            if w.courses is not None:
                course_id = w.courses.next_pk()
                courses.append(
                    {
                        "id": course_id,
                        "uuid": _uuid(rng),
                        "patient_id": patient["id"],
                        "clinic_id": clinic.pk,
                        "practitioner_id": practitioner,
                        "assessment_id": assessment_id,
                        "condition_id": condition,
                        "icd10_codes": icd10,
                        "target_segments": segments,
                        "target_muscles": [{"muscle_id": MUSCLES[0], "side": "R"}],
                        "planned_sessions": max(size, 8),
                        "frequency_days": 7,
                        "goals": [
                            {"activity": "Sit through a one-hour meeting", "baseline_score": 3}
                        ],
                        "review_at_session": 4,
                        "status": status,
                        "started_on": course_start.date(),
                        "discharged_on": None if status == "active" else course_end.date(),
                        "discharge_reason": "" if status == "active" else "Goals met",
                        "created_at": course_start,
                        "updated_at": course_end,
                    }
                )
            for s in range(size):
                number += 1
                started = course_start + datetime.timedelta(
                    days=7 * s, minutes=rng.randrange(0, 480)
                )
                session_id = w.sessions.next_pk()
                pain = max(0, 8 - s // 2 - rng.randrange(0, 3))
                needled = _needling_rows(session_id, rng) if w.rows is not None else []
                needles = sum(r["insertions"] for r in needled)
                rows.extend(needled)
                if w.adverse_events is not None and rng.random() < 0.02:
                    # About 2 in 100 sessions: mostly bruising or soreness (reported rates).
                    events.append(_adverse_event_row(session_id, patient, clinic, started, rng))
                sessions.append(
                    {
                        "id": session_id,
                        "uuid": _uuid(rng),
                        "patient_id": patient["id"],
                        "clinic_id": clinic.pk,
                        "course_id": course_id,
                        "practitioner_id": practitioner,
                        "session_number": number,
                        "started_at": started,
                        "duration_minutes": 30,
                        "pain_before": pain,
                        "pain_after": max(0, pain - rng.randrange(1, 4)),
                        "needles_in": needles,
                        "needles_out": needles,
                        "precheck": {"checked": True, "items": [], "notes": ""},
                        "clean_technique": {
                            "skin_prep": True,
                            "hand_hygiene": True,
                            "sharps": True,
                        },
                        "aftercare_given": "Heat and gentle movement; soreness 24-48 h is expected.",
                        "signed_at": started + datetime.timedelta(minutes=40),
                        "signed_by_id": practitioner,
                        "created_at": started,
                        "updated_at": started + datetime.timedelta(minutes=40),
                    }
                )
            if w.responses is not None:
                responses.extend(
                    _outcome_rows(
                        w.responses,
                        patient,
                        clinic,
                        course_id,
                        practitioner,
                        course_start,
                        size,
                        status,
                        rng,
                        outcome_scores,
                    )
                )
        if active and w.appointments is not None:
            appointments.append(_appointment_row(patient, clinic, practitioner, now, rng))
    for writer, batch in (
        (w.consents, consents),
        (w.assessments, assessments),
        (w.courses, courses),
        (w.sessions, sessions),
        (w.rows, rows),
        (w.responses, responses),
        (w.appointments, appointments),
        (w.adverse_events, events),
    ):
        if writer is not None and batch:
            writer.write(batch)
    return len(sessions)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _assessment_row(pk, patient, clinic, practitioner, first, rng) -> dict:
    assessed = first - datetime.timedelta(days=3)
    return {
        "id": pk,
        "uuid": _uuid(rng),
        "patient_id": patient["id"],
        "clinic_id": clinic.pk,
        "practitioner_id": practitioner,
        "assessed_on": assessed.date(),
        "pain_pattern": "Deep aching pain, worse with sitting.",
        "duration_months": rng.randrange(4, 60),
        "body_chart": [
            {"region": "low_back_r", "side": "R", "pain_type": "aching", "intensity": 6}
        ],
        "working_diagnosis": "Chronic myofascial pain with segmental signs",
        "signed_at": assessed,
        "signed_by_id": practitioner,
        "created_at": assessed,
        "updated_at": assessed,
    }


def _adverse_event_row(session_id, patient, clinic, started, rng) -> dict:
    kind = rng.choice(("bruising", "bruising", "soreness_severe", "bleeding", "vasovagal"))
    return {
        "uuid": _uuid(rng),
        "session_id": session_id,
        "patient_id": patient["id"],
        "clinic_id": clinic.pk,
        "kind": kind,
        "severity": "mild" if rng.random() < 0.9 else "significant",
        "action_taken": "Pressure and reassurance; advice given.",
        "occurred_at": started + datetime.timedelta(minutes=20),
        "created_at": started,
        "updated_at": started,
    }


def _needling_rows(session_id: int, rng: random.Random) -> list[dict]:
    rows = []
    for order in range(rng.choice((1, 2, 2, 3, 3, 4))):
        rows.append(
            {
                "session_id": session_id,
                "order": order + 1,
                "muscle_id": rng.choice(MUSCLES),
                "side": rng.choice("LRR"),
                "insertions": rng.randrange(1, 6),
                "depth_mm": Decimal(rng.randrange(10, 45)),
                "needle_gauge": "0.30",
                "needle_length_mm": Decimal(50),
                "lot_number": f"LOT{rng.randrange(1000, 9999)}",
                "response": rng.choice(("twitch", "grasp_1", "grasp_2", "none")),
                "tolerance": rng.choice(("good", "good", "fair")),
            }
        )
    return rows


def _outcome_rows(
    writer, patient, clinic, course_id, practitioner, start, size, status, rng, table
):
    """Intake, review at session 4 and discharge NPRS (+ LEFS at intake and discharge)."""
    points = [("intake", 0)]
    if size >= 4:
        points.append(("review", 4))
    if status == "discharged":
        points.append(("discharge", size))
    out = []
    for timepoint, number in points:
        for instrument_id, variants in table.items():
            if instrument_id == "lefs" and timepoint == "review":
                continue
            # Pain falls and function rises through the course.
            level = 7 - number // 2 - rng.randrange(0, 2)
            if instrument_id == "lefs":
                level = 10 - level
            answers, score = variants[max(0, min(10, level))]
            via_portal = rng.random() < 0.5
            completed = start + datetime.timedelta(days=7 * max(0, number - 1), hours=1)
            out.append(
                {
                    "uuid": _uuid(rng),
                    "patient_id": patient["id"],
                    "clinic_id": clinic.pk,
                    "course_id": course_id,
                    "instrument_id": instrument_id,
                    "answers": answers,
                    "total": score.total,
                    "subscales": score.subscales,
                    "normalised": score.normalised,
                    "interpretation": score.interpretation or "",
                    "completed_at": completed,
                    "completed_via": "portal" if via_portal else "clinic",
                    "entered_by_id": None if via_portal else practitioner,
                    "timepoint": timepoint,
                    "session_number": number,
                    "created_at": completed,
                    "updated_at": completed,
                }
            )
    return out


def _appointment_row(patient, clinic, practitioner, now, rng) -> dict:
    """The next weekly visit of a patient in care: within the coming week (today for 1 in 7)."""
    day = rng.randrange(0, 7)
    local = timezone.localtime(now, clinic.tz).replace(hour=8, minute=0, second=0, microsecond=0)
    starts = local + datetime.timedelta(days=day, minutes=30 * rng.randrange(0, 18))
    return {
        "uuid": _uuid(rng),
        "clinic_id": clinic.pk,
        "patient_id": patient["id"],
        "practitioner_id": practitioner,
        "kind": "ims_treatment",
        "mode": "in_clinic",
        "starts_at": starts,
        "ends_at": starts + datetime.timedelta(minutes=30),
        "status": "booked",
        "booked_via": "staff",
        "created_at": now,
        "updated_at": now,
    }
