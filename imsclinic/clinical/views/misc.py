"""Small htmx helpers: the muscle picker's search and the facts of a chosen muscle."""

from django.shortcuts import render

from imsclinic.clinical import safety
from imsclinic.clinical.forms import MuscleField
from imsclinic.core.access import staff_required


@staff_required
def muscle_search(request):
    """Muscles matching `q` by name or synonym, with segment, depth guidance and hazards."""
    if not request.user.can_view_clinical(request.clinic):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Clinical tools are not available to your role.")
    query = request.GET.get("q") or request.GET.get("muscle") or ""
    muscles = safety.search_muscles(query)
    facts = None
    try:
        muscle_id = MuscleField().clean(query) if query else None
    except Exception:  # noqa: BLE001 - an incomplete name is normal while typing
        muscle_id = None
    if muscle_id:
        facts = safety.muscle_facts(muscle_id)
    return render(
        request,
        "clinical/_muscle_facts.html",
        {"muscles": [safety.muscle_facts(m.id) for m in muscles], "facts": facts, "query": query},
    )
