"""Demo step: a few evaluation requests waiting in the queue (deterministic from ctx.rng)."""

from imsclinic.knowledge import clear_answers
from imsclinic.screening.models import EvaluationRequest, RequestStatus, Source
from imsclinic.screening.services import screen_for_clinic

CASES = [
    ({"pain_duration_months": 14}, ["low_back", "buttock"], ["physiotherapy", "massage"], "new"),
    (
        {"pain_duration_months": 7, "anticoagulants": True},
        ["neck_back", "shoulder_back"],
        ["pain_medication", "chiropractic"],
        "new",
    ),
    ({"pain_duration_months": 30, "needle_phobia": True}, ["knee_front"], ["exercise"], "new"),
    ({"pain_duration_months": 2}, ["forearm_back"], ["nothing"], "new"),
    ({"pain_duration_months": 18, "pregnant": True}, ["low_back"], ["physiotherapy"], "contacted"),
    ({"pain_duration_months": 24}, ["shoulder_front"], ["injections"], "declined"),
]


def build(ctx) -> None:
    if EvaluationRequest.objects.filter(clinic=ctx.clinic).exists():
        return
    rows = []
    for clinic, cases in [(ctx.clinic, CASES), (ctx.other_clinic, CASES[:2])]:
        for raw, regions, tried, status in cases:
            answers = clear_answers(raw)
            result = screen_for_clinic(answers, clinic)
            given, family = ctx.person_name()
            rows.append(
                EvaluationRequest(
                    uuid=ctx.uuid(),
                    clinic=clinic,
                    status=status,
                    source=Source.PUBLIC,
                    given_name=given,
                    family_name=family,
                    email=f"{given}.{family}@example.invalid".lower(),
                    phone=f"(403) 555-{ctx.rng.randrange(0, 10000):04d}",
                    answers=answers,
                    outcome=result.outcome,
                    reasons=[r.to_dict() for r in result.reasons],
                    pain_regions=regions,
                    treatments_tried=tried,
                    message="I saw your website and would like to know if IMS could help."
                    if status == RequestStatus.NEW
                    else "",
                )
            )
    EvaluationRequest.objects.bulk_create(rows)
