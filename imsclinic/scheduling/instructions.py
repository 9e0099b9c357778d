"""Clinic-editable patient instructions with sensible defaults.

Other areas read them with `instruction_text(clinic, "aftercare")` (the clinical area shows the
aftercare text after a needling session); a clinic admin edits them at /schedule/instructions/.
"""

from imsclinic.scheduling.models import InstructionTemplate

DEFAULTS = {
    InstructionTemplate.Kind.BEFORE_VISIT: (
        "Wear loose, comfortable clothing so the practitioner can reach the painful area.\n"
        "Eat a light meal beforehand: needling on an empty stomach can make you feel faint.\n"
        "Bring a list of your medications, including blood thinners and supplements.\n"
        "Bring any notes from your doctor or specialist that the clinic asked for."
    ),
    InstructionTemplate.Kind.AFTERCARE: (
        "Soreness where the needles went in is normal and usually eases within 24 to 36 hours.\n"
        "Rest from strenuous exercise and heavy work for 24 to 48 hours; gentle walking and "
        "light movement help.\n"
        "Heat (a warm shower or heat pack for 15 to 20 minutes) can ease the soreness.\n"
        "Drink water. Some people feel tired or drowsy afterwards; this passes.\n"
        "If you were needled over the chest, upper back or shoulder blades and you develop new "
        "chest pain or shortness of breath, seek urgent care now (call 911 or go to the nearest "
        "emergency department) and say that you had needling over the chest wall."
    ),
}


def instruction_text(clinic, kind: str) -> str:
    """The clinic's text for `kind` ("before_visit" or "aftercare"), or the default."""
    body = (
        InstructionTemplate.objects.filter(clinic=clinic, kind=kind)
        .values_list("body", flat=True)
        .first()
    )
    return body or DEFAULTS[kind]


def instruction_lines(clinic, kind: str) -> list[str]:
    return [line.strip() for line in instruction_text(clinic, kind).splitlines() if line.strip()]
