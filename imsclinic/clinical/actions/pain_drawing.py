"""The patient's own pain drawing (portal): saved by the patient, read by their practitioner."""

from imsclinic.audit.services import record
from imsclinic.clinical import bodychart
from imsclinic.clinical.actions.errors import ClinicalError
from imsclinic.clinical.models import PatientPainDrawing
from imsclinic.core.db import write_transaction

NOTE_MAX = 1000


def _checked_marks(marks) -> list[dict]:
    """The marks in the body-chart shape, or ClinicalError naming what is wrong."""
    known = {r.id: r for r in bodychart.regions()}
    checked, seen = [], set()
    for mark in marks or []:
        region = known.get(mark.get("region") if isinstance(mark, dict) else None)
        if region is None:
            raise ClinicalError("A marked place is not on the body chart. Nothing was saved.")
        if region.id in seen:
            raise ClinicalError(f"{region.label} is marked twice. Nothing was saved.")
        seen.add(region.id)
        if mark.get("pain_type") not in bodychart.PAIN_TYPE_IDS:
            raise ClinicalError(f"{region.label}: choose what the pain feels like.")
        intensity = mark.get("intensity")
        if (
            not isinstance(intensity, int)
            or isinstance(intensity, bool)
            or not 0 <= intensity <= 10
        ):
            raise ClinicalError(f"{region.label}: how strong is a whole number from 0 to 10.")
        checked.append(
            {
                "region": region.id,
                "side": region.side,
                "pain_type": mark["pain_type"],
                "intensity": intensity,
            }
        )
    if not checked:
        raise ClinicalError("Mark at least one place where it hurts. Nothing was saved.")
    return checked


@write_transaction
def save_pain_drawing(*, patient, by, marks: list[dict], note: str = "") -> PatientPainDrawing:
    """Save the patient's own drawing of where it hurts, as a new drawing (earlier ones stay).

    Only the patient, signed in to their own portal account, draws it: staff record pain on the
    assessment's own diagram, where this drawing is shown beside it.
    """
    own = getattr(by, "patient_record", None) if by is not None else None
    if own is None or own.pk != patient.pk:
        raise ClinicalError("Only the patient draws their own pain drawing, in the portal.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ClinicalError(f"The note is longer than {NOTE_MAX} characters. Nothing was saved.")
    checked = _checked_marks(marks)
    drawing = PatientPainDrawing.objects.create(
        patient=patient, clinic=patient.clinic, marks=checked, note=note, drawn_by=by
    )
    record(
        by=by,
        action="pain_drawing.save",
        target=drawing,
        clinic=patient.clinic,
        patient=patient,
        summary=f"Pain drawing with {len(checked)} place{'s' if len(checked) != 1 else ''}",
        details={"regions": [m["region"] for m in checked]},
    )
    return drawing
