"""Onboarding: a FHIR R4 Patient, or a Bundle of Patients, becomes registry records.

Every entry is parsed with the R4B Patient model, mapped to registry fields and validated with the
same PatientForm as the registration page. Any problem refuses the whole request (422 with an
OperationOutcome naming the entry and field); otherwise all patients are created in one
transaction by interop.actions.import_patients.
"""

from __future__ import annotations

from pydantic import ValidationError

from imsclinic.core.validation import CONTROL_MESSAGE, has_control_characters
from imsclinic.interop.fhir.common import build, fhir_class
from imsclinic.interop.fhir.patient import PatientImportError, fields_from_fhir

MAX_ENTRIES = 500
BUNDLE_TYPES = {"batch", "transaction", "collection"}


class ImportProblem(Exception):
    """Why an import was refused: (location, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{loc}: {msg}" if loc else msg for loc, msg in problems))

    def outcome(self):
        return build(
            "OperationOutcome",
            {
                "issue": [
                    {
                        "severity": "error",
                        "code": "invalid",
                        "diagnostics": message,
                        "expression": [location] if location else [],
                    }
                    for location, message in self.problems
                ]
            },
        )


def _pydantic_problems(prefix: str, exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors()[:20]:
        path = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        problems.append((f"{prefix}.{path}".strip("."), error.get("msg", "invalid")))
    return problems


def parse_patient(data, *, clinic, prefix: str = "Patient") -> tuple[dict, str | None]:
    """Validated registry fields and chart number from one Patient resource (JSON dict), for
    `clinic` (whose calendar day a birth date must not be after)."""
    from imsclinic.patients.forms import PatientForm
    from imsclinic.patients.models import LANGUAGE_CHOICES

    if not isinstance(data, dict) or data.get("resourceType") != "Patient":
        raise ImportProblem([(prefix, "Expected a FHIR Patient (resourceType 'Patient').")])
    try:
        resource = fhir_class("Patient").model_validate(data)
    except ValidationError as exc:
        raise ImportProblem(_pydantic_problems(prefix, exc)) from exc
    except (TypeError, ValueError) as exc:
        raise ImportProblem([(prefix, str(exc)[:300])]) from exc
    try:
        fields, chart_number = fields_from_fhir(resource)
    except PatientImportError as exc:
        raise ImportProblem([(f"{prefix}.{f}", m) for f, m in exc.errors]) from exc
    if chart_number and has_control_characters(chart_number):
        raise ImportProblem([(f"{prefix}.identifier", CONTROL_MESSAGE)])
    if fields["preferred_language"] not in {code for code, _ in LANGUAGE_CHOICES}:
        fields["preferred_language"] = "other"
    form = PatientForm(data=fields, clinic=clinic)
    if not form.is_valid():
        raise ImportProblem(
            [
                (f"{prefix}.{field}", str(message))
                for field, messages in form.errors.items()
                for message in messages
            ]
        )
    return form.cleaned_data, chart_number


def parse_payload(payload: dict, *, clinic, bundle: bool) -> list[tuple[dict, str | None]]:
    """Every patient of a Patient or Bundle payload, or ImportProblem listing all problems."""
    if not bundle:
        return [parse_patient(payload, clinic=clinic)]
    if payload.get("resourceType") != "Bundle":
        raise ImportProblem([("Bundle", "Expected a FHIR Bundle (resourceType 'Bundle').")])
    if payload.get("type") not in BUNDLE_TYPES:
        raise ImportProblem(
            [("Bundle.type", f"Bundle.type must be one of {sorted(BUNDLE_TYPES)}.")]
        )
    entries = payload.get("entry") or []
    if not isinstance(entries, list) or not entries:
        raise ImportProblem([("Bundle.entry", "The Bundle has no entries.")])
    if len(entries) > MAX_ENTRIES:
        raise ImportProblem([("Bundle.entry", f"At most {MAX_ENTRIES} entries per Bundle.")])
    parsed, problems = [], []
    for index, entry in enumerate(entries):
        prefix = f"Bundle.entry[{index}].resource"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        try:
            parsed.append(parse_patient(resource, clinic=clinic, prefix=prefix))
        except ImportProblem as exc:
            problems += exc.problems
    numbers = [number for _, number in parsed if number]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        problems.append(("Bundle.entry", f"Chart numbers used twice: {', '.join(duplicates)}."))
    if problems:
        raise ImportProblem(problems)
    return parsed


def import_payload(*, clinic, by, payload: dict, bundle: bool):
    from imsclinic.interop import actions
    from imsclinic.patients.models import Patient

    parsed = parse_payload(payload, clinic=clinic, bundle=bundle)
    taken = set(
        Patient.objects.filter(
            clinic=clinic, chart_number__in=[n for _, n in parsed if n]
        ).values_list("chart_number", flat=True)
    )
    if taken:
        raise ImportProblem(
            [
                ("identifier", f"Chart number already in use at this clinic: {n}")
                for n in sorted(taken)
            ]
        )
    return actions.import_patients(clinic=clinic, by=by, patients=parsed)


def response_bundle(patients, base: str):
    kind = "batch-response"
    return build(
        "Bundle",
        {
            "type": kind,
            "entry": [
                {
                    "fullUrl": f"{base}/Patient/{p.uuid}",
                    "response": {"status": "201 Created", "location": f"Patient/{p.uuid}"},
                }
                for p in patients
            ],
        },
    )
