"""Human labels for knowledge ids that reach templates inside stored JSON (engine results)."""

from django import template

from imsclinic.clinical import safety

register = template.Library()

SIDE_NAMES = {"L": "left", "R": "right", "B": "both sides"}


@register.filter
def muscle_name(muscle_id: str) -> str:
    """'extensor_digitorum_longus' -> 'Extensor digitorum longus' (the knowledge base's name)."""
    return safety.muscle_label(muscle_id) if muscle_id else ""


@register.filter
def side_name(side: str | None) -> str:
    return SIDE_NAMES.get(side or "", "")
